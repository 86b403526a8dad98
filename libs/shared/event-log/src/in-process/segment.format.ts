/**
 * On-disk format of one partition of the in-process log: newline-delimited JSON, one record per line,
 * `{"offset":0,"timestamp":1700000000000,"key":"k","value":"…","headers":{}}`.
 *
 * JSON.stringify escapes control characters and UTF-8 never produces a 0x0A byte inside a multi-byte
 * character, so a newline byte always ends a record. A crash can leave a torn last line (no newline)
 * or, on some file systems, a zero-filled tail; both are detected by the scanner below and cut off.
 */

export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

const NEWLINE = 0x0a;

export function encodeRecord(record: StoredRecord): string {
  return `${JSON.stringify({
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    value: record.value,
    headers: record.headers,
  })}\n`;
}

/** Parses one line (without its newline); null when it is not a well-formed record. */
export function decodeRecord(line: string): StoredRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { offset, timestamp, key, value, headers } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) return null;
  if (typeof timestamp !== 'number' || typeof key !== 'string' || typeof value !== 'string') return null;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return null;
  for (const headerValue of Object.values(headers)) if (typeof headerValue !== 'string') return null;
  return { offset: offset as number, timestamp, key, value, headers: headers as Record<string, string> };
}

/** Byte position of every record, indexed by offset; grows by doubling. */
export class OffsetIndex {
  private positions = new Float64Array(1024);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(position: number): void {
    if (this.count === this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.count] = position;
    this.count += 1;
  }

  positionOf(offset: number): number {
    if (offset < 0 || offset >= this.count) throw new RangeError(`offset ${offset} is not in the index`);
    return this.positions[offset];
  }
}

export interface ScanResult {
  index: OffsetIndex;
  /** Length of the valid prefix; everything after it is a torn or corrupt tail to cut off. */
  validBytes: number;
  /** Bytes after the valid prefix (0 for a clean file). */
  discardedBytes: number;
}

/**
 * Validates a segment chunk by chunk (files can be larger than memory should hold at once): each
 * line must be a well-formed record whose offset is the next one. The first line that is not, and
 * everything after it, is treated as a torn write.
 */
export class SegmentScanner {
  private readonly index = new OffsetIndex();
  private carry: Buffer = Buffer.alloc(0);
  /** File position of the first byte of `carry`. */
  private carryStart = 0;
  private validBytes = 0;
  private totalBytes = 0;
  private broken = false;

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    if (this.broken) return;
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    let lineStart = 0;
    for (;;) {
      const newline = data.indexOf(NEWLINE, lineStart);
      if (newline === -1) break;
      const record = decodeRecord(data.toString('utf8', lineStart, newline));
      if (record === null || record.offset !== this.index.length) {
        this.broken = true;
        this.carry = Buffer.alloc(0);
        return;
      }
      this.index.push(this.carryStart + lineStart);
      lineStart = newline + 1;
      this.validBytes = this.carryStart + lineStart;
    }
    this.carry = data.subarray(lineStart);
    this.carryStart += lineStart;
  }

  finish(): ScanResult {
    return {
      index: this.index,
      validBytes: this.validBytes,
      discardedBytes: this.totalBytes - this.validBytes,
    };
  }
}
