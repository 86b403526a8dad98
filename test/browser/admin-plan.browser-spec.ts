import { join } from 'node:path';
import { startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { type BrowserContext, type Page } from 'playwright-core';
import { adminClient } from '../support/admin-client';
import { type EmbeddedPlatform, startEmbeddedPlatform } from '../support/app-process';
import { artifactsDirectory, type BrowserSession, checkAccessibility, openBrowser } from './support/browser';

jest.setTimeout(300_000);

const developer = { name: 'Grace Hopper', email: 'grace@example.com', password: 'a compiler is a friend' };
const adminUser = { name: 'Olga Admin', email: 'olga@example.com', password: 'plans are products' };
const planName = 'Five Calls';

/**
 * (b) The admin UI in a real browser against the embedded platform: an admin user signs in at
 * /admin, creates a plan with a quota of 5 in the plan editor and moves a developer's consumer
 * onto it from the consumer page; after 4 gateway requests with the developer's key, the
 * developer's portal (a second browser context) shows the 80 % banner.
 */
describe('admin UI in the browser', () => {
  let smtp: TestSmtpServer;
  let embedded: EmbeddedPlatform;
  let browser: BrowserSession;
  let portalContext: BrowserContext | undefined;
  const portalProblems: string[] = [];
  let developerKey = '';

  const portalApi = (path: string, init: { method?: string; json?: unknown; cookie?: string } = {}) =>
    fetch(`${embedded.demo.apiUrl}/api/portal${path}`, {
      method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.cookie ? { cookie: init.cookie } : {}),
      },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });

  const callGateway = () =>
    fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}`, { headers: { 'x-api-key': developerKey } });

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    embedded = await startEmbeddedPlatform('browser-admin', { SMTP_URL: smtp.url });
    browser = await openBrowser({ flow: 'admin-plan', baseURL: embedded.demo.apiUrl });

    // A developer with a verified account and a key, through the portal API and the mailed link.
    expect(
      (
        await portalApi('/signup', {
          json: { name: developer.name, email: developer.email, password: developer.password },
        })
      ).status,
    ).toBe(201);
    const mail = await smtp.waitFor(
      (candidate) => candidate.to.includes(developer.email) && /Verify your email/.test(candidate.subject),
      15_000,
    );
    const token = /[?&]token=([^\s&]+)/.exec(mail.text ?? '')?.[1];
    expect(token).toBeDefined();
    expect((await portalApi('/verify', { json: { token: decodeURIComponent(token!) } })).status).toBe(200);
    const login = await portalApi('/login', {
      json: { email: developer.email, password: developer.password },
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const key = (await (await portalApi('/keys', { json: { name: 'admin flow' }, cookie })).json()) as {
      key: string;
    };
    developerKey = key.key;
    expect(developerKey.length).toBeGreaterThan(20);

    // An admin user (the bootstrap token is the owner who creates it); the UI signs in as this user.
    await adminClient(() => embedded.demo.apiUrl, embedded.demo.adminToken)(
      'POST',
      '/api/admin/admin-users',
      {
        ...adminUser,
        role: 'admin',
      },
    );
  });

  afterAll(async () => {
    await portalContext?.close();
    await browser?.browser.close();
    await embedded?.dispose();
    await smtp?.close();
  });

  it('(b) creates a plan with quota 5, moves the developer onto it, and the portal warns at 80 %', async () => {
    const { page, screenshot } = browser;

    // Sign in with email and password; the API's own schema checks the email first.
    await page.goto('/admin');
    await page.getByRole('textbox', { name: /^Email/ }).fill('not-an-email');
    await page.getByLabel(/^Password/).fill(adminUser.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Must be an email address').waitFor();
    await page.getByRole('textbox', { name: /^Email/ }).fill(adminUser.email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    await page.getByText(adminUser.email).waitFor();
    const topConsumers = page.getByRole('region', { name: 'Top consumers' });
    await topConsumers.waitFor();
    await topConsumers.getByText('Loading…').waitFor({ state: 'detached' });
    await screenshot('analytics');
    // The session is an httpOnly cookie: nothing in the page's storage or cookies a script can read.
    const readable = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage, ...sessionStorage, cookie: document.cookie })',
    );
    expect(readable).not.toMatch(/tg_adm/);
    const [sessionCookie] = (await browser.context.cookies()).filter(
      (cookie) => cookie.name === 'tg_admin_session',
    );
    expect(sessionCookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/admin' });
    // A reload keeps the admin signed in.
    await page.reload();
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    await page.getByText(adminUser.email).waitFor();

    // The plan editor: an empty name is refused at the field, then a plan with a quota of 5.
    await page.getByRole('link', { name: 'Plans', exact: true }).click();
    await page.getByRole('link', { name: 'New plan' }).click();
    await page.getByRole('heading', { name: 'New plan' }).waitFor();
    const quota = page.getByLabel(/^Quota \(counted requests per period\)/);
    await quota.fill('5');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.getByText('Must not be empty').waitFor();
    expect(await page.getByRole('textbox', { name: /^Name/ }).getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('textbox', { name: /^Name/ }).fill(planName);
    await page.getByText('Must not be empty').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Add price component' }).click();
    await page.getByLabel('Amount per period (component 1)').fill('900');
    await page.getByTestId('example-invoice-total').getByText(/9\.00/).waitFor();
    await screenshot('plan-editor');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.getByRole('heading', { name: planName }).waitFor();
    expect(await quotaOnPage(page)).toBe('5');
    await page.getByRole('tab', { name: /^Versions/ }).click();
    await page.getByRole('table', { name: 'Plan versions' }).getByText('v1').waitFor();
    await screenshot('plan-created');

    // The developer's consumer, found by the search, moved onto the new plan.
    await page.getByRole('link', { name: 'Consumers', exact: true }).click();
    await page.getByLabel('Search').fill(developer.email);
    await page.getByRole('link', { name: developer.name }).click();
    await page.getByRole('heading', { name: developer.name }).waitFor();
    await page.getByRole('tab', { name: 'Plan', exact: true }).click();
    await page.getByRole('combobox', { name: 'New plan' }).click();
    await page.getByRole('option', { name: planName }).click();
    await page.getByRole('button', { name: 'Move to plan' }).click();
    await page.getByRole('link', { name: `${planName} v1` }).waitFor();
    await screenshot('consumer-moved');

    // Four requests: 4 of 5 counted, 80 % of the quota. The move reaches the gateway at once in
    // embedded mode; each request must be admitted (a fifth would be the last one).
    for (let request = 0; request < 4; request += 1) {
      expect((await callGateway()).status).toBe(200);
    }

    // The developer's portal, in a second browser context (its own cookies).
    portalContext = await browser.browser.newContext({
      baseURL: embedded.demo.apiUrl,
      viewport: { width: 1280, height: 900 },
    });
    const portal = await portalContext.newPage();
    watchConsole(portal, portalProblems);
    await portal.goto('/portal/login');
    await portal.getByLabel(/^Email/).fill(developer.email);
    await portal.getByLabel(/^Password/).fill(developer.password);
    await portal.getByRole('button', { name: 'Sign in' }).click();
    await portal.getByRole('heading', { name: 'Usage', exact: true }).waitFor();
    // The dashboard refreshes itself; the banner appears once metering has counted the calls.
    await portal.getByRole('alert').filter({ hasText: '80 %' }).first().waitFor({ timeout: 90_000 });
    await portal.screenshot({
      path: join(artifactsDirectory, 'admin-plan-portal-80-banner.png'),
      fullPage: true,
    });
    await checkAccessibility(portal, 'admin-plan-portal-80-banner');

    // Back in the admin UI: the consumer list shows the same 80 % with its bar.
    await page.getByRole('link', { name: 'Consumers', exact: true }).click();
    await page.getByLabel('Search').fill(developer.email);
    await page
      .getByRole('progressbar', { name: `${developer.name}: 80 % of the quota` })
      .waitFor({ timeout: 30_000 });
    await screenshot('consumers-list');
    // Down to a phone's width the list scrolls sideways and the navigation folds into a menu.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Open navigation' }).waitFor();
    // Let the navigation bar finish sliding away before the picture.
    await page.waitForTimeout(500);
    await screenshot('consumers-phone');

    browser.expectNoProblems();
    expect(portalProblems).toEqual([]);
  });

  it('shows every admin page with its data, or its empty state, without errors', async () => {
    const { page, screenshot } = browser;
    await page.setViewportSize({ width: 1280, height: 900 });
    const nav = (name: string) => page.getByRole('link', { name, exact: true }).click();

    // The developer's page: usage, keys, alerts and billing tabs.
    await nav('Consumers');
    await page.getByLabel('Search').fill(developer.email);
    await page.getByRole('link', { name: developer.name }).click();
    await page.getByText('Requests over time').waitFor();
    await page.getByText(/^4 \/ 5$/).waitFor({ timeout: 30_000 });
    await page.getByText('Loading…').first().waitFor({ state: 'detached' });
    await screenshot('consumer-usage');
    await page.getByRole('tab', { name: 'Keys' }).click();
    await page.getByRole('table', { name: 'API keys' }).getByText('admin flow').waitFor();
    await page.getByRole('tab', { name: 'Alerts and webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhook deliveries' }).waitFor();
    await page.getByRole('tab', { name: 'Billing' }).click();
    await page.getByRole('heading', { name: 'Reconciliation' }).waitFor();
    await page.getByText('Loading…').first().waitFor({ state: 'detached' });
    await screenshot('consumer-billing');

    // A new quota while the plan has a subscriber makes version 2; then the subscriber moves to it.
    await nav('Plans');
    await page.getByRole('table', { name: 'Plans' }).getByRole('link', { name: planName }).click();
    await page.getByLabel(/^Quota \(counted requests per period\)/).fill('6');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText(/Saved as version 2/).waitFor();
    await page.getByRole('tab', { name: /^Versions/ }).click();
    await page.getByRole('button', { name: 'Move subscribers' }).click();
    await page.getByText('1 subscription moved to version 2').waitFor();
    const versions = page.getByRole('table', { name: 'Plan versions' });
    await versions.getByRole('row', { name: /^v2 .* 1$/ }).waitFor();
    await screenshot('plan-versions');
    await nav('Consumer groups');
    await page
      .getByRole('table', { name: 'Consumer groups' })
      .getByRole('link', { name: planName })
      .waitFor();
    await nav('APIs and routes');
    await page.getByRole('heading', { name: 'APIs and routes' }).waitFor();
    await page.getByRole('button', { name: /Demo/i }).first().click();
    await page.getByRole('heading', { name: 'Routes', exact: true }).waitFor();
    await screenshot('apis');
    await nav('Failed jobs');
    await page.getByRole('heading', { name: 'Failed jobs' }).waitFor();
    await page.getByText('Loading…').first().waitFor({ state: 'detached' });
    // Mail goes to the test SMTP server here, so the outbox says so instead of listing mail.
    await nav('Outbox');
    await page.getByText('Mail goes to your SMTP server').waitFor();

    browser.expectNoProblems();
  });
});

/** The quota field's value on the plan page (the editor holds the saved plan). */
async function quotaOnPage(page: Page): Promise<string> {
  return (await page.getByLabel(/^Quota \(counted requests per period\)/).inputValue()).replace(/,/g, '');
}

/** Console and page errors of a page, as the shared harness counts them (handled 4xx lines aside). */
function watchConsole(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/^Failed to load resource: the server responded with a status of 4\d\d\b/.test(text)) return;
    problems.push(`console error at ${page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`page error at ${page.url()}: ${error.message}`));
}

/**
 * Embedded mode without SMTP: mail is written to the outbox, and the admin console (signed in
 * with the bootstrap admin token) lists and shows it.
 */
describe('admin UI outbox (embedded mode, no SMTP)', () => {
  let embedded: EmbeddedPlatform;
  let browser: BrowserSession;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('browser-outbox');
    browser = await openBrowser({ flow: 'admin-outbox', baseURL: embedded.demo.apiUrl });
  });

  afterAll(async () => {
    await browser?.browser.close();
    await embedded?.dispose();
  });

  it('signs in with the bootstrap token and reads the verification mail in the outbox', async () => {
    const { page, screenshot } = browser;
    const signup = await fetch(`${embedded.demo.apiUrl}/api/portal/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', email: 'ada@example.com', password: 'analytical engines' }),
    });
    expect(signup.status).toBe(201);

    await page.goto('/admin');
    await page.getByText('Admin token', { exact: true }).click();
    await page.getByRole('textbox', { name: /^Admin token/ }).fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Must be an admin token').waitFor();
    await page.getByRole('textbox', { name: /^Admin token/ }).fill(embedded.demo.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Bootstrap token').waitFor();
    // The token was exchanged for a session cookie: the page keeps no copy, and a reload stays signed in.
    const readable = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage, ...sessionStorage, cookie: document.cookie })',
    );
    expect(readable).not.toContain(embedded.demo.adminToken);
    await page.goto('/admin/outbox');
    await page.getByText('Bootstrap token').waitFor();

    await page.getByRole('link', { name: 'Outbox', exact: true }).click();
    const mail = page
      .getByRole('table', { name: 'Sent mail' })
      .getByRole('button', { name: /Verify your email/ });
    await mail.waitFor({ timeout: 15_000 });
    await mail.click();
    await page.getByText(/\/verify\?token=/).waitFor();
    await page.getByText('to ada@example.com').waitFor();
    await screenshot('outbox');

    // Signing out ends the session on the server: a reload shows the sign-in page.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Admin sign-in' }).waitFor();
    await page.reload();
    await page.getByRole('form', { name: 'Admin sign-in' }).waitFor();
    expect((await browser.context.cookies()).map((cookie) => cookie.name)).not.toContain('tg_admin_session');
    browser.expectNoProblems();
  });
});
