import { type StoredRecord, SegmentScanner, decodeRecord, encodeRecord } from './segment.format';

const record = (offset: number, value = `value-${offset}`): StoredRecord => ({
  offset,
  timestamp: 1_700_000_000_000 + offset,
  key: `cons_${offset % 3}`,
  value,
  headers: { seq: String(offset) },
});

const segment = (count: number): Buffer =>
  Buffer.from(Array.from({ length: count }, (_, offset) => encodeRecord(record(offset))).join(''), 'utf8');

function scan(...chunks: Buffer[]) {
  const scanner = new SegmentScanner();
  for (const chunk of chunks) scanner.push(chunk);
  return scanner.finish();
}

describe('segment format', () => {
  it('round-trips a record whose value has newlines, quotes and multi-byte characters', () => {
    const original = record(7, 'line one\nline "two"\r\n\u2028 日本 \u{1F600}');
    const line = encodeRecord(original);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodeRecord(line.slice(0, -1))).toEqual(original);
  });

  it('rejects lines that are not records', () => {
    expect(decodeRecord('')).toBeNull();
    expect(decodeRecord('{"offset":0')).toBeNull();
    expect(decodeRecord('\u0000\u0000\u0000')).toBeNull();
    expect(decodeRecord('[1,2]')).toBeNull();
    expect(decodeRecord('{"offset":-1,"timestamp":1,"key":"k","value":"v","headers":{}}')).toBeNull();
    expect(decodeRecord('{"offset":0,"timestamp":1,"key":null,"value":"v","headers":{}}')).toBeNull();
    expect(decodeRecord('{"offset":0,"timestamp":1,"key":"k","value":"v","headers":{"a":1}}')).toBeNull();
  });

  it('indexes every record of a clean segment, however it is chunked', () => {
    const bytes = segment(20);
    const lineStarts = [0];
    for (let i = 0; i < bytes.length - 1; i += 1) if (bytes[i] === 0x0a) lineStarts.push(i + 1);
    for (const chunkSize of [1, 2, 7, 64, bytes.length]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
      const result = scan(...chunks);
      expect(result.validBytes).toBe(bytes.length);
      expect(result.discardedBytes).toBe(0);
      expect(result.index.length).toBe(20);
      expect(Array.from({ length: 20 }, (_, offset) => result.index.positionOf(offset))).toEqual(lineStarts);
    }
  });

  it('cuts a torn last record (a write interrupted before its newline)', () => {
    const clean = segment(5);
    const torn = Buffer.from(encodeRecord(record(5)).slice(0, 30), 'utf8');
    const result = scan(clean, torn);
    expect(result.index.length).toBe(5);
    expect(result.validBytes).toBe(clean.length);
    expect(result.discardedBytes).toBe(torn.length);
  });

  it('cuts a zero-filled tail (file size extended before the data reached the disk)', () => {
    const clean = segment(3);
    const zeros = Buffer.alloc(4096);
    zeros[4095] = 0x0a;
    const result = scan(clean, zeros);
    expect(result.index.length).toBe(3);
    expect(result.validBytes).toBe(clean.length);
    expect(result.discardedBytes).toBe(zeros.length);
  });

  it('stops at the first record that is corrupt or out of sequence, and drops everything after it', () => {
    const good = segment(4);
    const skipped = Buffer.from(encodeRecord(record(5)) + encodeRecord(record(6)), 'utf8');
    expect(scan(good, skipped)).toMatchObject({ validBytes: good.length, discardedBytes: skipped.length });

    const garbage = Buffer.from('{"offset":4,"timest\n', 'utf8');
    const after = Buffer.from(encodeRecord(record(5)), 'utf8');
    const result = scan(good, garbage, after);
    expect(result.index.length).toBe(4);
    expect(result.discardedBytes).toBe(garbage.length + after.length);
  });

  it('treats an empty segment as empty', () => {
    expect(scan()).toMatchObject({ validBytes: 0, discardedBytes: 0 });
    expect(scan().index.length).toBe(0);
  });
});
