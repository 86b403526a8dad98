import { uuidv7, uuidv7Timestamp } from './uuid-v7';

const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10', () => {
    for (let index = 0; index < 1000; index += 1) expect(uuidv7()).toMatch(shape);
  });

  it('carries the millisecond timestamp it was made at', () => {
    // Ahead of any id made so far: ids never go back in time, so an earlier clock would be overtaken.
    const at = Date.now() + 10_000_000;
    expect(uuidv7Timestamp(uuidv7(at))).toBe(at);
    expect(uuidv7Timestamp(uuidv7(2 ** 47 + 12345))).toBe(2 ** 47 + 12345);
  });

  it('is unique and sorts in creation order, also within one millisecond', () => {
    const now = Date.now() + 20_000_000;
    const ids = Array.from({ length: 20_000 }, () => uuidv7(now));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('spreads its random bits: every hex digit appears in the random part', () => {
    const digits = new Set(
      Array.from({ length: 200 }, () => uuidv7().slice(24))
        .join('')
        .split(''),
    );
    expect(digits.size).toBe(16);
  });
});
