import { isCounted } from './counting-policy';

describe('isCounted', () => {
  const defaults = { count4xx: true, count5xx: false };

  it.each([
    [200, defaults, false, true],
    [304, defaults, false, true],
    [404, defaults, false, true],
    [404, { count4xx: false, count5xx: false }, false, false],
    [500, defaults, false, false],
    [500, { count4xx: true, count5xx: true }, false, true],
    [502, { count4xx: true, count5xx: true }, true, false],
  ])('status %d with %o (gateway-made: %s) → %s', (status, policy, byGateway, expected) => {
    expect(isCounted(status, policy, byGateway)).toBe(expected);
  });
});
