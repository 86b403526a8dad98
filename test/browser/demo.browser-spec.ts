import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from '../support/app-process';
import { type BrowserSession, openBrowser } from './support/browser';

jest.setTimeout(300_000);

/**
 * `npm start` as a newcomer meets it: the seeded demo data in the portal (signed in as the demo
 * developer from demo.json) and in the admin console (signed in with the demo admin token).
 */
describe('the seeded demo in the browser (npm start)', () => {
  let embedded: EmbeddedPlatform;
  let browser: BrowserSession;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('demo-browser');
    const { demo } = embedded;
    // A few demo calls, so the usage pages have something to show.
    for (let call = 0; call < 3; call += 1) {
      const response = await fetch(`${demo.gatewayUrl}${demo.demoPath}`, {
        headers: { 'x-api-key': demo.demoKey },
      });
      expect(response.status).toBe(200);
    }
    await eventually(
      async () => {
        const response = await fetch(`${demo.apiUrl}/api/admin/consumers/${demo.demoConsumerId}/usage`, {
          headers: { authorization: `Bearer ${demo.adminToken}` },
        });
        return ((await response.json()) as { requests: number }).requests;
      },
      (requests) => requests >= 3,
      30_000,
      'the demo calls metered',
    );
    browser = await openBrowser({ flow: 'demo', baseURL: embedded.demo.apiUrl });
  });

  afterAll(async () => {
    await browser?.close();
    await embedded?.dispose();
  });

  it('shows the demo consumer its usage and key in the portal', async () => {
    const { page, screenshot } = browser;
    const { demo } = embedded;
    await page.goto('/portal');
    await page.getByRole('textbox', { name: 'Email' }).fill(demo.developerEmail ?? '');
    await page.getByRole('textbox', { name: 'Password' }).fill(demo.developerPassword ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Usage', exact: true }).waitFor();
    await page.getByText('3 / 1,000').waitFor();
    await screenshot('portal-usage');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByText(demo.demoKey.slice(0, 12)).first().waitFor();
    await screenshot('portal-keys');
    browser.expectNoProblems();
  });

  it('shows the demo plans and consumer in the admin console', async () => {
    const { page, screenshot } = browser;
    const { demo } = embedded;
    await page.goto('/admin');
    await page.getByText('Admin token', { exact: true }).click();
    await page.getByRole('textbox', { name: /^Admin token/ }).fill(demo.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    await screenshot('admin-analytics');
    await page.getByRole('link', { name: 'Plans', exact: true }).click();
    for (const plan of ['Free', 'Starter', 'Pro'])
      await page.getByText(plan, { exact: true }).first().waitFor();
    await screenshot('admin-plans');
    await page.getByRole('link', { name: 'Consumers', exact: true }).click();
    await page.getByText('demo@example.com').first().waitFor();
    await screenshot('admin-consumers');
    browser.expectNoProblems();
  });
});
