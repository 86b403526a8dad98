import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  problems: string[];
  /** Saves a full-page PNG as `test/browser/artifacts/<flow>-<nn>-<name>.png`; returns its path. */
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
    const path = join(artifactsDirectory, `${options.flow}-${String(shots).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
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
