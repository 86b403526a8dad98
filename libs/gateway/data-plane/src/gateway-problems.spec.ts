import { spendCapProblem } from './gateway-problems';

describe('spendCapProblem', () => {
  const resetsAt = '2026-12-01T00:00:00.000Z';

  it('is the 402 both the gateway and the meter answer, naming the cap and when it resets', () => {
    expect(
      spendCapProblem(
        { units: 70, amountMinor: 700, currency: 'usd', minorDigits: 2 },
        resetsAt,
        '/portal/plans',
      ),
    ).toEqual({
      type: 'https://tollgate.dev/problems/spend-cap-reached',
      title: expect.any(String) as string,
      status: 402,
      detail: `Your monthly spend cap of 7.00 USD is reached (70 billable requests); it resets at ${resetsAt}. Raise or remove it in the portal.`,
      limit: 'spend_cap',
      capMinor: 700,
      currency: 'usd',
      capUnits: 70,
      resetsAt,
      upgradeUrl: '/portal/plans',
    });
  });

  it('writes the amount in the minor digits the control plane sent (ISK in hundredths)', () => {
    const isk = spendCapProblem(
      { units: 5, amountMinor: 50_000, currency: 'isk', minorDigits: 2 },
      resetsAt,
      '/u',
    );
    expect(isk.detail).toContain('spend cap of 500.00 ISK');
    const jpy = spendCapProblem(
      { units: 5, amountMinor: 500, currency: 'jpy', minorDigits: 0 },
      resetsAt,
      '/u',
    );
    expect(jpy.detail).toContain('spend cap of 500 JPY');
  });
});
