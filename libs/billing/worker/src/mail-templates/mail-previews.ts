import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RenderedMail } from './mail-renderer';
import {
  downgradedNotice,
  paymentFailedNotice,
  paymentRecoveredNotice,
  suspendedNotice,
} from './payment-notices';
import {
  hardStopNotice,
  overageNotice,
  type QuotaNoticeInput,
  spendCapNotice,
  thresholdNotice,
} from './usage-notices';

export interface MailPreview {
  name: string;
  mail: RenderedMail;
}

/** Every notice with sample data (a name with markup in it shows that values are escaped). */
export function mailPreviews(publicUrl = 'https://api.example.com'): MailPreview[] {
  const base = {
    publicUrl,
    consumerName: 'Acme <Mobile> & Co',
    planName: 'Starter',
    timeZone: 'Europe/Berlin',
  };
  const resetsAt = new Date('2026-12-01T00:00:00+01:00');
  const quota: QuotaNoticeInput = {
    ...base,
    used: 40_000,
    limit: 50_000,
    threshold: 80,
    resetsAt,
    overage: null,
  };
  const overage = { bufferPercent: 10, unitPriceMinor: 2, currency: 'usd' };
  return [
    { name: 'threshold-80', mail: thresholdNotice(quota) },
    {
      name: 'threshold-95-with-overage',
      mail: thresholdNotice({ ...quota, used: 47_500, threshold: 95, overage }),
    },
    { name: 'hard-stop', mail: hardStopNotice({ ...quota, used: 50_000, threshold: 100 }) },
    { name: 'overage', mail: overageNotice({ ...quota, used: 50_000, threshold: 100, overage }) },
    {
      name: 'hard-stop-after-overage',
      mail: hardStopNotice({ ...quota, used: 55_000, threshold: 110, overage }),
    },
    {
      name: 'spend-cap-80',
      mail: spendCapNotice({
        ...base,
        planName: 'Pay as you go',
        threshold: 80,
        spentMinor: 4_000,
        capMinor: 5_000,
        currency: 'usd',
        resetsAt,
      }),
    },
    {
      name: 'spend-cap-100',
      mail: spendCapNotice({
        ...base,
        planName: 'Pay as you go',
        threshold: 100,
        spentMinor: 5_012,
        capMinor: 5_000,
        currency: 'usd',
        resetsAt,
      }),
    },
    {
      name: 'payment-failed',
      mail: paymentFailedNotice({
        ...base,
        graceEndsAt: new Date('2026-11-20T09:30:00Z'),
        policy: 'downgrade',
        freePlanName: 'Free',
      }),
    },
    {
      name: 'payment-failed-suspend',
      mail: paymentFailedNotice({
        ...base,
        graceEndsAt: new Date('2026-11-20T09:30:00Z'),
        policy: 'suspend',
        freePlanName: null,
      }),
    },
    {
      name: 'grace-expired-downgraded',
      mail: downgradedNotice({ ...base, freePlanName: 'Free', freePlanLimit: 1_000 }),
    },
    { name: 'grace-expired-suspended', mail: suspendedNotice(base) },
    { name: 'payment-recovered-plan', mail: paymentRecoveredNotice({ ...base, restored: 'plan' }) },
    { name: 'payment-recovered-keys', mail: paymentRecoveredNotice({ ...base, restored: 'keys' }) },
  ];
}

/** Writes `<name>.html` and `<name>.txt` of every preview into `directory`; returns the file names. */
export async function writeMailPreviews(directory: string, publicUrl?: string): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  for (const preview of mailPreviews(publicUrl)) {
    const stem = join(directory, preview.name);
    await writeFile(`${stem}.html`, preview.mail.html);
    await writeFile(`${stem}.txt`, `Subject: ${preview.mail.subject}\n\n${preview.mail.text}`);
    written.push(`${stem}.html`, `${stem}.txt`);
  }
  return written;
}
