import { parseStripePriceLocalId, stripePriceLocalId } from './stripe-price-local-id';

describe('Stripe price local ids', () => {
  it('reads back the plan and version it was built from', () => {
    const localId = stripePriceLocalId('plan_pro', 12, 'c0', 'ab12cd34ef56ab78');
    expect(localId).toBe('plan_pro:v12:c0:ab12cd34ef56ab78');
    expect(parseStripePriceLocalId(localId)).toEqual({ planId: 'plan_pro', version: 12 });
    expect(parseStripePriceLocalId(stripePriceLocalId('plan_pro', 1, 'overage', 'f00'))).toEqual({
      planId: 'plan_pro',
      version: 1,
    });
  });

  it('refuses what is not a price local id', () => {
    for (const localId of [
      'plan_pro',
      'plan_pro:sms',
      'plan_pro:v0:c0:ab',
      'plan_pro:vx:c0:ab',
      ':v1:c0:ab',
      'plan_pro:v1:c0',
    ]) {
      expect(parseStripePriceLocalId(localId)).toBeNull();
    }
  });
});
