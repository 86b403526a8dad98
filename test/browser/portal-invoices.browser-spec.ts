import { startStripeTestServer, type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { type EmbeddedPlatform, startEmbeddedPlatform } from '../support/app-process';
import { portalClient, verifiedDeveloper } from '../support/portal-developer';
import { type BrowserSession, openBrowser } from './support/browser';

jest.setTimeout(300_000);

const password = 'correct horse battery staple';
const email = 'grace@example.com';

/**
 * The portal's invoices table in a real browser against the embedded platform billing through the
 * Stripe test server: the empty state, invoices with their status and links, and the error state
 * with a retry while Stripe fails.
 */
describe('portal invoices in the browser (Stripe test server)', () => {
  let stripe: StripeTestServer;
  let embedded: EmbeddedPlatform;
  let browser: BrowserSession;
  let customerId = '';

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    embedded = await startEmbeddedPlatform('browser-invoices', {
      STRIPE_SECRET_KEY: 'sk_test_tollgate_browser_invoices',
      STRIPE_API_BASE: stripe.url,
    });
    const developer = await verifiedDeveloper(embedded, email, 'Grace Hopper');
    // Opening the customer portal once gives the developer a Stripe customer.
    const portal = portalClient(() => embedded);
    expect((await portal('/billing-portal', { method: 'POST', cookie: developer.cookie })).status).toBe(200);
    const customer = [...stripe.objects.values()].find(
      (object) =>
        object.object === 'customer' &&
        (object['metadata'] as Record<string, string>)['tollgate_consumer_id'] === developer.consumerId,
    );
    customerId = customer?.id ?? '';
    expect(customerId).toMatch(/^cus_/);
    browser = await openBrowser({ flow: 'portal-invoices', baseURL: embedded.demo.apiUrl });
  });

  afterAll(async () => {
    await browser?.browser.close();
    await embedded?.dispose();
    await stripe?.close();
  });

  it('shows no invoices, then the invoices with status and links, and an error with a retry', async () => {
    const { page, screenshot } = browser;
    await page.goto('/portal/login');
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Usage', exact: true }).waitFor();

    await page.goto('/portal/billing');
    await page.getByRole('heading', { name: 'Invoices', exact: true }).waitFor();
    await page.getByText('No invoices yet').waitFor();

    const periodStart = Math.floor(Date.UTC(2026, 9, 1) / 1000);
    const periodEnd = Math.floor(Date.UTC(2026, 10, 1) / 1000);
    const paid = stripe.createInvoice(customerId, {
      amount_due: 1250,
      period_start: periodStart,
      period_end: periodEnd,
      created: periodEnd,
    });
    const open = stripe.createInvoice(customerId, {
      status: 'open',
      amount_due: 4990,
      period_start: periodEnd,
      period_end: Math.floor(Date.UTC(2026, 11, 1) / 1000),
      created: periodEnd + 86_400,
    });
    await page.reload();
    const table = page.getByRole('table', { name: 'Invoices' });
    await table.waitFor();
    const rows = table.getByTestId('invoice-row');
    expect(await rows.count()).toBe(2);
    await expect(rows.nth(0).textContent()).resolves.toContain(String(open['number']));
    await expect(rows.nth(0).textContent()).resolves.toContain('$49.90');
    await expect(rows.nth(0).textContent()).resolves.toContain('Due');
    await expect(rows.nth(1).textContent()).resolves.toContain('$12.50');
    await expect(rows.nth(1).textContent()).resolves.toContain('Paid');
    const name = String(paid['number']);
    expect(await page.getByRole('link', { name: `View invoice ${name}` }).getAttribute('href')).toBe(
      paid['hosted_invoice_url'],
    );
    expect(
      await page.getByRole('link', { name: `Download invoice ${name} as PDF` }).getAttribute('href'),
    ).toBe(paid['invoice_pdf']);
    await screenshot('invoices');

    // Stripe fails every attempt of the next load: the card says so and offers a retry.
    stripe.failNext(5, 500);
    await page.reload();
    await page.getByText('Could not load your invoices').waitFor();
    await screenshot('invoices-error');
    await page.getByRole('button', { name: 'Try again' }).click();
    await table.waitFor();
    expect(await rows.count()).toBe(2);
    // The 503 answer was provoked above; nothing else may have gone wrong.
    const unexpected = browser.problems.filter((problem) => !/status of 503/.test(problem));
    expect(unexpected).toEqual([]);
  });
});
