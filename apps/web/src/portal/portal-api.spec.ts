import { describe, expect, it } from '@jest/globals';
import { listOf } from './portal-api';

describe('listOf', () => {
  it('takes a bare array as it is', () => {
    expect(listOf<number>([1, 2])).toEqual([1, 2]);
  });

  it('finds the list under items, data or the keys given', () => {
    expect(listOf<number>({ items: [1] })).toEqual([1]);
    expect(listOf<number>({ data: [2] })).toEqual([2]);
    expect(listOf<number>({ deliveries: [3], nextCursor: null }, 'deliveries')).toEqual([3]);
  });

  it('answers an empty list for anything else', () => {
    expect(listOf(null)).toEqual([]);
    expect(listOf({ deliveries: 'none' }, 'deliveries')).toEqual([]);
    expect(listOf('text')).toEqual([]);
  });
});
