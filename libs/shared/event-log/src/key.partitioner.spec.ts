import { Partitioners } from 'kafkajs';
import { murmur2, partitionForKey } from './key.partitioner';

describe('partitionForKey', () => {
  it('matches the murmur2 values of the Java client', () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('puts every key on the same partition as kafkajs’s default partitioner', () => {
    const kafkaPartitioner = Partitioners.DefaultPartitioner();
    const mismatches: string[] = [];
    for (const partitions of [1, 2, 3, 6, 7, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      for (let i = 0; i < 500; i += 1) {
        // ASCII ids plus multi-byte UTF-8, so every tail length (0–3 bytes) is exercised.
        const key = `cons_${i.toString(36)}${'é'.repeat(i % 4)}${'日'.repeat(i % 3)}`;
        const expected = kafkaPartitioner({ topic: 't', partitionMetadata, message: { key, value: '' } });
        if (partitionForKey(key, partitions) !== expected) mismatches.push(`${key}/${partitions}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
    expect(() => partitionForKey('k', 1.5)).toThrow(RangeError);
  });
});
