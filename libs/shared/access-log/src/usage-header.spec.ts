import { formatUsageHeader, parseUsageHeader } from './usage-header';

describe('parseUsageHeader', () => {
  it('reads integer and decimal members', () => {
    expect(parseUsageHeader('sms=1, txn_value=12550, gb=0.5')).toEqual({ sms: 1, txn_value: 12550, gb: 0.5 });
  });

  it('treats a bare key as 1 and drops parameters', () => {
    expect(parseUsageHeader('flag, sms=2;unit=msg')).toEqual({ flag: 1, sms: 2 });
  });

  it('ignores members that are not non-negative numbers or have invalid keys', () => {
    expect(parseUsageHeader('sms=-1, Bad=2, x="s", ok=3')).toEqual({ ok: 3 });
  });

  it('returns nothing for a missing header', () => {
    expect(parseUsageHeader(undefined)).toEqual({});
  });

  it('round-trips through formatUsageHeader', () => {
    const usage = { sms: 3, txn_value: 100 };
    expect(parseUsageHeader(formatUsageHeader(usage))).toEqual(usage);
  });
});
