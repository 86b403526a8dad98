import { constants, promises as fs } from 'node:fs';
import { type FileHandle } from 'node:fs/promises';
import {
  type OffsetIndex,
  SegmentScanner,
  type StoredRecord,
  decodeRecord,
  encodeRecord,
} from './segment.format';

export interface AppendInput {
  key: string;
  value: string;
  headers: Record<string, string>;
}

interface PendingAppend {
  records: AppendInput[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface PartitionOpenResult {
  log: PartitionLog;
  /** Bytes cut off the end of the segment because the last write was torn. */
  discardedBytes: number;
}

const SCAN_CHUNK_BYTES = 1 << 20;

/**
 * One partition: a single append-only segment file and an in-memory offset → position index.
 *
 * Appends are group-committed: while one write (and its fsync) is in flight, later appends queue up
 * and go out together in the next write, so concurrent producers share one fsync. Records become
 * readable only once written (and synced), like Kafka's high watermark.
 */
export class PartitionLog {
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly file: FileHandle,
    private readonly index: OffsetIndex,
    private size: number,
    private readonly fsync: boolean,
    private readonly onAppend: () => void,
  ) {}

  static async open(
    path: string,
    options: { fsync: boolean; onAppend: () => void },
  ): Promise<PartitionOpenResult> {
    // O_APPEND is deliberately not used: writes go to explicit positions so a failed write can be
    // overwritten instead of leaving garbage between records.
    const file = await fs.open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      const scanner = new SegmentScanner();
      const buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
      let position = 0;
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        scanner.push(Buffer.from(buffer.subarray(0, bytesRead)));
        position += bytesRead;
      }
      const { index, validBytes, discardedBytes } = scanner.finish();
      if (discardedBytes > 0) {
        await file.truncate(validBytes);
        if (options.fsync) await file.sync();
      }
      return {
        log: new PartitionLog(file, index, validBytes, options.fsync, options.onAppend),
        discardedBytes,
      };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** The offset the next appended record gets; also the end of what readers can see. */
  get endOffset(): number {
    return this.index.length;
  }

  /** Resolves once the records are written (and fsynced when enabled). */
  append(records: AppendInput[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the partition log is closed'));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.write(batch.flatMap((pending) => pending.records));
        for (const pending of batch) pending.resolve();
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.writing = null;
  }

  private async write(records: AppendInput[]): Promise<void> {
    const timestamp = Date.now();
    const firstOffset = this.index.length;
    const lines: string[] = [];
    const lineBytes: number[] = [];
    for (let i = 0; i < records.length; i += 1) {
      const { key, value, headers } = records[i];
      const line = encodeRecord({ offset: firstOffset + i, timestamp, key, value, headers });
      lines.push(line);
      lineBytes.push(Buffer.byteLength(line, 'utf8'));
    }
    const buffer = Buffer.from(lines.join(''), 'utf8');
    try {
      let written = 0;
      while (written < buffer.length) {
        const { bytesWritten } = await this.file.write(
          buffer,
          written,
          buffer.length - written,
          this.size + written,
        );
        written += bytesWritten;
      }
      if (this.fsync) await this.file.datasync();
    } catch (error) {
      // Cut whatever part of the write landed so the next append starts on a record boundary.
      await this.file.truncate(this.size).catch(() => undefined);
      throw error;
    }
    let position = this.size;
    for (const bytes of lineBytes) {
      this.index.push(position);
      position += bytes;
    }
    this.size = position;
    this.onAppend();
  }

  /** Up to `max` records starting at `from`, from what is already durable. */
  async read(from: number, max: number): Promise<StoredRecord[]> {
    const end = Math.min(this.index.length, from + max);
    if (from >= end) return [];
    const start = this.index.positionOf(from);
    const stop = end < this.index.length ? this.index.positionOf(end) : this.size;
    const buffer = Buffer.allocUnsafe(stop - start);
    let read = 0;
    while (read < buffer.length) {
      const { bytesRead } = await this.file.read(buffer, read, buffer.length - read, start + read);
      if (bytesRead === 0) throw new Error(`segment ended early while reading offsets ${from}–${end - 1}`);
      read += bytesRead;
    }
    const records: StoredRecord[] = [];
    let lineStart = 0;
    while (lineStart < buffer.length) {
      const newline = buffer.indexOf(0x0a, lineStart);
      const record = decodeRecord(buffer.toString('utf8', lineStart, newline));
      if (record === null || record.offset !== from + records.length) {
        throw new Error(`segment is corrupt at offset ${from + records.length}`);
      }
      records.push(record);
      lineStart = newline + 1;
    }
    return records;
  }

  /** Waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.file.close();
  }
}
