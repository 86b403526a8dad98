import { startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from '../support/app-process';
import { type BrowserSession, type FocusedElement, openBrowser, tabTo } from './support/browser';

jest.setTimeout(300_000);

const password = 'correct horse battery staple';
const email = 'ada@example.com';
/** The theme's primary colour (indigo 7), which draws the focus ring. */
const focusRingColor = 'rgb(66, 99, 235)';

/** Keyboard focus must be drawn: the focus ring (an outline) on buttons, links and inputs alike. */
function expectVisibleFocus(focused: FocusedElement) {
  if (!focused.focusVisible || !focused.outline.includes(focusRingColor)) {
    throw new Error(`The focus on ${focused.description} is not visible: ${JSON.stringify(focused)}`);
  }
}

/**
 * The developer portal in a real browser against the embedded platform, with mail captured by a
 * test SMTP server: (a) sign up → verify from the mail → sign in → create a key → call the
 * gateway → the call is on the usage dashboard; (c) revoking the key in the portal makes the
 * gateway answer 401.
 */
describe('developer portal in the browser', () => {
  let smtp: TestSmtpServer;
  let embedded: EmbeddedPlatform;
  let browser: BrowserSession;
  let apiKey = '';

  const callGateway = (key: string) =>
    fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}`, { headers: { 'x-api-key': key } });

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    embedded = await startEmbeddedPlatform('browser-portal', { SMTP_URL: smtp.url });
    browser = await openBrowser({ flow: 'portal', baseURL: embedded.demo.apiUrl });
  });

  afterAll(async () => {
    await browser?.browser.close();
    await embedded?.dispose();
    await smtp?.close();
  });

  it('(a) signs up, verifies from the mail, signs in, creates a key and sees its call on the dashboard', async () => {
    const { page, screenshot } = browser;

    await page.goto('/portal/signup');
    await page.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The API's own zod schema, at the field, before anything is sent.
    await page.getByText('Must be at least 10 characters').waitFor();
    await page.getByRole('textbox', { name: 'Password' }).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your inbox').waitFor();
    await screenshot('signup-sent');

    const mail = await smtp.waitFor(
      (candidate) => candidate.to.includes(email) && /Verify your email/.test(candidate.subject),
      15_000,
    );
    const link = /https?:\/\/\S+\/api\/portal\/verify\?token=\S+/.exec(mail.text ?? '')?.[0];
    expect(link).toBeDefined();
    await page.goto(link!);
    // The browser lands on the portal's page, which verified the token through the API.
    expect(new URL(page.url()).pathname).toBe('/portal/verify');
    await page.getByRole('heading', { name: 'Email verified' }).waitFor();
    await screenshot('verified');

    await page.getByRole('link', { name: 'Continue to sign in' }).click();
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Usage', exact: true }).waitFor();

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('textbox', { name: 'Key name' }).fill('browser test');
    await page.getByRole('button', { name: 'Create key' }).click();
    const revealed = page.getByRole('dialog').getByTestId('copy-value');
    await revealed.waitFor();
    apiKey = (await revealed.textContent())?.trim() ?? '';
    expect(apiKey.length).toBeGreaterThan(20);
    await screenshot('key-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    // The list shows the prefix only, never the secret.
    await page.getByRole('table', { name: 'Your API keys' }).getByText('browser test').waitFor();
    expect(await page.getByRole('table', { name: 'Your API keys' }).textContent()).not.toContain(apiKey);

    await eventually(
      async () => (await callGateway(apiKey)).status,
      (status) => status === 200,
      10_000,
      'key admitted',
    );

    await page.getByRole('link', { name: 'Usage' }).click();
    // The dashboard refreshes by itself; the call appears once metering has counted it.
    const endpoints = page.getByTestId('breakdown-endpoint');
    await endpoints.waitFor({ timeout: 60_000 });
    expect(await endpoints.textContent()).toContain('GET');
    await page.getByText(/^1 \/ /).waitFor({ timeout: 30_000 });
    await page.getByTestId('breakdown-status').getByText('200').waitFor();
    await screenshot('usage-dashboard');
    browser.expectNoProblems();
  });

  it('(c) revoking the key in the portal makes the gateway answer 401', async () => {
    const { page, screenshot } = browser;
    expect(apiKey).not.toBe('');
    expect((await callGateway(apiKey)).status).toBe(200);

    await page.getByRole('link', { name: 'API keys' }).click();
    const revoke = page.getByRole('button', { name: /^Revoke key / });
    await revoke.click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this key?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('table', { name: 'Your API keys' }).getByText('Revoked').waitFor();
    await screenshot('key-revoked');

    await eventually(
      async () => (await callGateway(apiKey)).status,
      (status) => status === 401,
      5_000,
      'revoked key refused',
    );
    browser.expectNoProblems();
  });

  it('(d) signs in and creates a key with the keyboard alone, always showing where the focus is', async () => {
    const keyboard = await openBrowser({ flow: 'portal-keyboard', baseURL: embedded.demo.apiUrl });
    try {
      const { page, screenshot } = keyboard;
      await page.goto('/portal/login');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();

      expectVisibleFocus(await tabTo(page, page.getByRole('textbox', { name: 'Email' })));
      await page.keyboard.type(email);
      expectVisibleFocus(await tabTo(page, page.getByRole('textbox', { name: 'Password' })));
      await page.keyboard.type(password);
      expectVisibleFocus(await tabTo(page, page.getByRole('button', { name: 'Sign in' })));
      await screenshot('sign-in-focused');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Usage', exact: true }).waitFor();

      expectVisibleFocus(await tabTo(page, page.getByRole('link', { name: 'API keys' })));
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'API keys' }).waitFor();
      expectVisibleFocus(await tabTo(page, page.getByRole('textbox', { name: 'Key name' })));
      await page.keyboard.type('keyboard only');
      expectVisibleFocus(await tabTo(page, page.getByRole('button', { name: 'Create key' })));
      await page.keyboard.press('Space');

      const dialog = page.getByRole('dialog');
      const revealed = dialog.getByTestId('copy-value');
      await revealed.waitFor();
      expect((await revealed.textContent())?.trim().length).toBeGreaterThan(20);
      // The dialog keeps the focus inside; Tab walks to its button.
      expectVisibleFocus(await tabTo(page, dialog.getByRole('button', { name: 'Done' })));
      await screenshot('key-created-focused');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('table', { name: 'Your API keys' }).getByText('keyboard only').waitFor();
      keyboard.expectNoProblems();
    } finally {
      await keyboard.browser.close();
    }
  });

  it('serves the landing page and every portal page (also at phone width) next to an untouched /api', async () => {
    const { page, screenshot } = browser;
    const { apiUrl } = embedded.demo;

    const unknownApi = await fetch(`${apiUrl}/api/portal/no-such-route`);
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.headers.get('content-type')).toContain('application/problem+json');
    const deepLink = await fetch(`${apiUrl}/portal/keys`);
    expect(deepLink.status).toBe(200);
    expect(deepLink.headers.get('content-type')).toContain('text/html');
    expect(await deepLink.text()).toContain('<div id="root">');
    // API clients following the mailed link still get the API's answer, not a redirect.
    const apiVerify = await fetch(`${apiUrl}/api/portal/verify?token=garbage`, { redirect: 'manual' });
    expect(apiVerify.status).toBe(400);

    await page.goto('/');
    await page.getByRole('heading', { name: 'Pricing' }).waitFor();
    await page.getByTestId('plan-free').waitFor();
    await screenshot('landing-pricing');

    await page.goto('/portal/plans');
    await page.getByTestId('plan-free').getByText('Current plan').waitFor();
    await screenshot('plans');

    await page.goto('/portal/alerts');
    await page.getByRole('heading', { name: 'Alerts & webhooks' }).waitFor();
    await page
      .getByRole('heading', { name: /Contacts|Alert settings are not available/ })
      .or(page.getByText('Alert settings are not available'))
      .first()
      .waitFor();
    await screenshot('alerts');

    await page.goto('/portal/billing');
    await page.getByRole('heading', { name: 'Invoices and payment method' }).waitFor();
    await screenshot('billing');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/portal');
    await page.getByRole('heading', { name: 'Usage', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await screenshot('phone-keys');
    browser.expectNoProblems();
  });
});
