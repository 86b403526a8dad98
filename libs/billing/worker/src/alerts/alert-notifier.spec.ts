import { mailClaimLeaseMs, mailPending, mailPendingWhere } from './alert-notifier';

describe('mailPending', () => {
  const now = new Date('2026-11-28T09:00:00.000Z');
  const minute = 60_000;

  it('an alert never claimed is due', () => {
    expect(mailPending({ emailedAt: null }, now)).toBe(true);
  });

  it('an alert mailed at any real time is not due', () => {
    expect(mailPending({ emailedAt: new Date(now.getTime() - minute) }, now)).toBe(false);
    expect(mailPending({ emailedAt: new Date('2900-01-01T00:00:00.000Z') }, now)).toBe(false);
  });

  it('a claim is not due while it holds and due once it expired', () => {
    const where = mailPendingWhere(now);
    const [, claims] = where.OR as [unknown, { emailedAt: { gte: Date; lte: Date } }];
    // The stored claim of a send that started now expires a lease later.
    const shift = claims.emailedAt.lte.getTime() - now.getTime();
    const claimFrom = (startedAt: number) => ({ emailedAt: new Date(startedAt + mailClaimLeaseMs + shift) });
    expect(mailPending(claimFrom(now.getTime()), now)).toBe(false);
    expect(mailPending(claimFrom(now.getTime() - mailClaimLeaseMs + minute), now)).toBe(false);
    expect(mailPending(claimFrom(now.getTime() - mailClaimLeaseMs), now)).toBe(true);
    expect(mailPending(claimFrom(now.getTime() - 10 * mailClaimLeaseMs), now)).toBe(true);
  });

  it('the query selects what mailPending calls due', () => {
    const where = mailPendingWhere(now);
    expect(where.OR).toEqual([
      { emailedAt: null },
      { emailedAt: { gte: expect.any(Date), lte: expect.any(Date) } },
    ]);
    const [, claims] = where.OR as [unknown, { emailedAt: { gte: Date; lte: Date } }];
    expect(mailPending({ emailedAt: claims.emailedAt.gte }, now)).toBe(true);
    expect(mailPending({ emailedAt: claims.emailedAt.lte }, now)).toBe(true);
    expect(mailPending({ emailedAt: new Date(claims.emailedAt.lte.getTime() + 1) }, now)).toBe(false);
    expect(mailPending({ emailedAt: new Date(claims.emailedAt.gte.getTime() - 1) }, now)).toBe(false);
  });
});
