import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AxeResults, ImpactValue, RunOptions } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { repositoryRoot } from '../../support/app-process';

/** Debian's Chromium (`apt-get install chromium`); nothing is downloaded. */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const artifactsDirectory = join(repositoryRoot, 'test', 'browser', 'artifacts');

/**
 * Chromium reports every 4xx answer of a fetch as a console error ("Failed to load resource: …
 * status of 404"). The pages handle those answers (a 401 before sign-in, a 404 for a feature
 * the installation does not offer), so only these lines are tolerated; 5xx answers, script
 * errors and anything the app logs with console.error fail the test.
 */
const handledHttpErrorLine = /^Failed to load resource: the server responded with a status of 4\d\d\b/;

/** The rule sets every page is held to: WCAG 2.0 and 2.1 A and AA, and axe's best practices. */
export const accessibilityRuleSets = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
/** Violations of these impacts fail the test; the others are kept in the `.axe.json` file. */
const failingImpacts: ReadonlySet<ImpactValue> = new Set<ImpactValue>(['serious', 'critical']);
const axeSourcePath = require.resolve('axe-core');
interface InPage {
  document: unknown;
  axe: { run: (context: unknown, options: RunOptions) => Promise<AxeResults> };
}

/**
 * Runs axe-core on the page as it is now (dialogs and drawers included), writes the full results
 * to `test/browser/artifacts/<name>.axe.json` and throws listing every serious or critical
 * violation: its rule, impact, the selectors of the offending elements and what to fix.
 */
export async function checkAccessibility(page: Page, name: string): Promise<AxeResults> {
  // Runs in the page; `axe` is the global the injected script defines.
  const injected = await page.evaluate(() => 'axe' in globalThis);
  if (!injected) await page.addScriptTag({ path: axeSourcePath });
  const options: RunOptions = { runOnly: { type: 'tag', values: accessibilityRuleSets } };
  const results = await page.evaluate(async (runOptions) => {
    const scope = globalThis as unknown as InPage;
    return scope.axe.run(scope.document, runOptions);
  }, options);
  await mkdir(artifactsDirectory, { recursive: true });
  await writeFile(join(artifactsDirectory, `${name}.axe.json`), `${JSON.stringify(results, null, 2)}\n`);
  const failing = results.violations.filter(
    (violation) => violation.impact && failingImpacts.has(violation.impact),
  );
  if (failing.length > 0) {
    const lines = failing.map((violation) => {
      const nodes = violation.nodes.map((node) => {
        const summary = (node.failureSummary ?? '').split('\n').slice(1, 2).join('').trim();
        return `    - ${node.target.join(' ')}${summary ? `: ${summary}` : ''}`;
      });
      return `  ${violation.id} (${violation.impact}): ${violation.help}\n${nodes.join('\n')}`;
    });
    throw new Error(
      `${failing.length} accessibility violation(s) on ${name} (${page.url()}):\n${lines.join('\n')}`,
    );
  }
  return results;
}

/** What has the keyboard focus, and how it is drawn. */
export interface FocusedElement {
  /** e.g. `button "Sign in"`, for error messages. */
  description: string;
  /** The element matches `:focus-visible`: the browser shows keyboard focus on it. */
  focusVisible: boolean;
  /** `none`, or e.g. `2px solid rgb(66, 99, 235)`. */
  outline: string;
}

interface FocusTarget {
  closest: (selector: string) => FocusTarget | null;
  tagName: string;
  textContent: string | null;
  getAttribute: (name: string) => string | null;
  matches: (selector: string) => boolean;
}
interface FocusScope {
  document: { activeElement: FocusTarget | null };
  getComputedStyle: (element: FocusTarget) => {
    outlineStyle: string;
    outlineWidth: string;
    outlineColor: string;
  };
}

/** The element with the keyboard focus, its `:focus-visible` state and its outline. */
export async function focusedElement(page: Page): Promise<FocusedElement> {
  return page.evaluate(() => {
    const scope = globalThis as unknown as FocusScope;
    const element = scope.document.activeElement;
    if (!element) return { description: 'nothing', focusVisible: false, outline: 'none' };
    // A Mantine input draws its box (border, focus ring) on itself, or for a password input on
    // the wrapper around the focused field.
    const style = scope.getComputedStyle(element.closest('.mantine-Input-input') ?? element);
    const name =
      element.getAttribute('aria-label') ??
      element.getAttribute('name') ??
      (element.textContent ?? '').trim().slice(0, 40);
    return {
      description: `${element.tagName.toLowerCase()} "${name}"`,
      focusVisible: element.matches(':focus-visible'),
      outline:
        style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0
          ? 'none'
          : `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`,
    };
  });
}

/**
 * Presses Tab (Shift+Tab with `backwards`) until `target` has the focus, at most `maxPresses`
 * times; fails naming where the focus went. Returns the focused element as drawn.
 */
export async function tabTo(
  page: Page,
  target: Locator,
  { maxPresses = 25, backwards = false }: { maxPresses?: number; backwards?: boolean } = {},
): Promise<FocusedElement> {
  const visited: string[] = [];
  for (let press = 0; press < maxPresses; press += 1) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const focused = await focusedElement(page);
    visited.push(focused.description);
    const reached = await target.evaluate(
      (element) => element === (globalThis as unknown as FocusScope).document.activeElement,
    );
    if (reached) return focused;
  }
  throw new Error(
    `Tab did not reach ${target.toString()} in ${maxPresses} presses; the focus went to: ${visited.join(', ')}`,
  );
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  problems: string[];
  /**
   * Saves a full-page PNG as `test/browser/artifacts/<flow>-<nn>-<name>.png` and checks the page's
   * accessibility ({@link checkAccessibility}, results next to it as `.axe.json`); returns the
   * PNG's path.
   */
  screenshot: (name: string) => Promise<string>;
  /** Throws listing every console or page error seen so far. */
  expectNoProblems: () => void;
  /** Closes the browser, then fails if any console or page error was seen. */
  close: () => Promise<void>;
}

export interface OpenBrowserOptions {
  /** Prefix of the screenshots' file names, e.g. `portal-signup`. */
  flow: string;
  baseURL: string;
  viewport?: { width: number; height: number };
}

/** A headless Chromium with one page, watching the console for errors. */
export async function openBrowser(options: OpenBrowserOptions): Promise<BrowserSession> {
  await mkdir(artifactsDirectory, { recursive: true });
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [...(runningAsRoot ? ['--no-sandbox'] : []), '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({
    baseURL: options.baseURL,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    // The copy buttons write to the clipboard.
    permissions: ['clipboard-read', 'clipboard-write'],
    // The theme skips transitions then, so screenshots never catch a dialog half faded in.
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (handledHttpErrorLine.test(text)) return;
    problems.push(`console error at ${page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`page error at ${page.url()}: ${error.message}`));

  let shots = 0;
  const screenshot = async (name: string): Promise<string> => {
    shots += 1;
    const base = `${options.flow}-${String(shots).padStart(2, '0')}-${name}`;
    const path = join(artifactsDirectory, `${base}.png`);
    await page.screenshot({ path, fullPage: true });
    await checkAccessibility(page, base);
    return path;
  };
  const expectNoProblems = () => {
    if (problems.length > 0) {
      throw new Error(`The browser reported ${problems.length} error(s):\n${problems.join('\n')}`);
    }
  };
  return {
    browser,
    context,
    page,
    problems,
    screenshot,
    expectNoProblems,
    close: async () => {
      await browser.close();
      expectNoProblems();
    },
  };
}
