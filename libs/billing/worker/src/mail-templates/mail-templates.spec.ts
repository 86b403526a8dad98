import { formatMoney } from './mail-formatting';
import { mailPreviews } from './mail-previews';
import { escapeHtml, html, SafeHtml } from './mail-renderer';
import {
  downgradedNotice,
  paymentFailedNotice,
  paymentRecoveredNotice,
  suspendedNotice,
} from './payment-notices';
import { usageBarHtml, usageBarText, usagePercent } from './usage-bar';
import {
  hardStopNotice,
  overageNotice,
  type QuotaNoticeInput,
  spendCapNotice,
  thresholdNotice,
} from './usage-notices';

describe('mail renderer', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    );
  });

  it('escapes interpolated values but keeps nested markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    const outer = html`<p>${inner} ${'<script>'} ${[html`<br />`, '&']} ${null}${undefined}${false}${0}</p>`;
    expect(outer).toBeInstanceOf(SafeHtml);
    expect(outer.value).toBe('<p><b>&lt;i&gt;</b> &lt;script&gt; <br />&amp; 0</p>');
  });
});

describe('usage bar', () => {
  it.each([
    [0, '[░░░░░░░░░░] 0 %'],
    [79, '[███████░░░] 79 %'],
    [80, '[████████░░] 80 %'],
    [95, '[█████████░] 95 %'],
    [100, '[██████████] 100 %'],
    [125, '[██████████] 125 %'],
  ])('draws %p %% as %p', (percent, bar) => {
    expect(usageBarText(percent)).toBe(bar);
  });

  it('rounds the percent down, so 100 % means the limit is reached', () => {
    expect(usagePercent(19, 20)).toBe(95);
    expect(usagePercent(16, 20)).toBe(80);
    expect(usagePercent(19_999, 20_000)).toBe(99);
    expect(usagePercent(5, 0)).toBe(100);
  });

  it('draws an HTML bar whose filled cell has the percent as width, capped at 100', () => {
    expect(usageBarHtml(80).value).toContain('width="80%"');
    expect(usageBarHtml(80).value).toContain('width="20%"');
    expect(usageBarHtml(140).value).toContain('width="100%" style="background:#c62828');
    expect(usageBarHtml(140).value).not.toContain('#e6e8eb');
  });
});

describe('notices', () => {
  const quota: QuotaNoticeInput = {
    publicUrl: 'https://api.example.com',
    consumerName: 'Evil <img src=x onerror=alert(1)>',
    planName: 'Starter & Co',
    used: 16,
    limit: 20,
    threshold: 80,
    resetsAt: new Date('2026-12-01T00:00:00Z'),
    timeZone: 'UTC',
    overage: null,
  };
  const overage = { bufferPercent: 10, unitPriceMinor: 2, currency: 'usd' };

  it('escapes names in the HTML part and keeps them verbatim in the text part', () => {
    const mail = thresholdNotice(quota);
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('Starter &amp; Co');
    expect(mail.text).toContain('Starter & Co');
    expect(mail.subject).toBe('Evil <img src=x onerror=alert(1)>: 80 % of your Starter & Co quota used');
  });

  it('a threshold notice shows the bar, what happens at 100 % and the upgrade link', () => {
    const mail = thresholdNotice(quota);
    expect(mail.text).toContain('[████████░░] 80 %');
    expect(mail.text).toContain('What happens at 100 %: Further requests are refused (HTTP 429)');
    expect(mail.text).toContain('https://api.example.com/portal/plans');
    expect(mail.html).toContain('href="https://api.example.com/portal/plans"');
    const withOverage = thresholdNotice({ ...quota, overage });
    expect(withOverage.text).toContain('up to 2 more (10 % of the quota), each billed at $0.02');
  });

  it('the hard stop says requests are refused until the reset date', () => {
    const mail = hardStopNotice({ ...quota, used: 20, threshold: 100 });
    expect(mail.text).toContain('[██████████] 100 %');
    expect(mail.text).toContain(
      'Further requests are refused (HTTP 429) until the quota resets on December 1, 2026',
    );
    const afterOverage = hardStopNotice({ ...quota, used: 22, threshold: 110, overage });
    expect(afterOverage.text).toContain('quota and its overage buffer (10 % more)');
  });

  it('the overage notice says what overage costs', () => {
    const mail = overageNotice({ ...quota, used: 20, threshold: 100, overage });
    expect(mail.subject).toContain('overage billing has started');
    expect(mail.text).toContain('each is billed at $0.02, for up to 2 more requests');
  });

  it('spend cap amounts are in the currency', () => {
    const mail = spendCapNotice({
      ...quota,
      spentMinor: 4_000,
      capMinor: 5_000,
      currency: 'eur',
    });
    expect(mail.text).toContain('€40.00 of your €50.00 spend cap');
    expect(mail.text).toContain('[████████░░] 80 %');
  });

  it('dunning notices name the grace end and the policy', () => {
    const base = { publicUrl: 'https://x.test', consumerName: 'Acme', planName: 'Pro', timeZone: 'UTC' };
    const failed = paymentFailedNotice({
      ...base,
      graceEndsAt: new Date('2026-11-20T09:30:00Z'),
      policy: 'downgrade',
      freePlanName: 'Free',
    });
    expect(failed.text).toContain('keeps working until November 20, 2026 at 9:30 AM (UTC)');
    expect(failed.text).toContain('move to the Free plan');
    expect(
      paymentFailedNotice({ ...base, graceEndsAt: new Date(0), policy: 'suspend', freePlanName: null }).text,
    ).toContain('API keys will be suspended');
    expect(downgradedNotice({ ...base, freePlanName: 'Free', freePlanLimit: 1000 }).text).toContain(
      'to the Free plan (1,000 requests per period)',
    );
    expect(suspendedNotice(base).subject).toContain('API keys suspended');
    expect(paymentRecoveredNotice({ ...base, restored: 'plan' }).text).toContain('Pro plan is restored');
  });

  it('every preview renders a complete HTML document and a text part', () => {
    const previews = mailPreviews();
    expect(previews.length).toBeGreaterThanOrEqual(11);
    for (const preview of previews) {
      expect(preview.mail.html.startsWith('<!doctype html>')).toBe(true);
      expect(preview.mail.html).toContain('</html>');
      expect(preview.mail.html).not.toContain('<Mobile>');
      expect(preview.mail.text).toContain('https://api.example.com/portal');
      expect(preview.mail.subject.length).toBeGreaterThan(10);
    }
  });
});

describe('formatMoney in notices', () => {
  it('divides by the currency’s minor-unit digits', () => {
    expect(formatMoney(1234, 'usd')).toBe('$12.34');
    expect(formatMoney(500, 'jpy')).toBe('¥500');
    expect(formatMoney(1250, 'kwd')).toMatch(/^KWD\s1\.250$/);
  });
});
