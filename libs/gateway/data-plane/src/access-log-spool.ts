import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type AccessLogEvent } from '@tollgate/access-log';
import { type Logger } from '@tollgate/observability';

export interface AccessLogSpoolOptions {
  /** Directory of the spool; created if missing. One process per directory. */
  directory: string;
  logger: Logger;
  /** Most bytes the spool file may hold (default 256 MiB); events beyond it are dropped and counted. */
  maxBytes?: number;
}

/** Events read from the head of the spool; hand `end` to `ack` once they are sent. */
export interface SpoolBatch {
  events: AccessLogEvent[];
  /** File position after the last event of the batch. */
  end: number;
  /** `ts` of the event that follows the batch, when it was read along (for the age gauge). */
  nextTs: number | null;
}

const dataFileName = 'access-log.spool';
const headFileName = 'access-log.spool.head';
const readChunkBytes = 1 << 20;
const newline = 0x0a;

function checksum(text: string): string {
  return crc32(text).toString(16).padStart(8, '0');
}

/** `<crc32 of json, 8 hex>` SP `<json>` LF — one event per line. */
function encode(event: AccessLogEvent): string {
  const json = JSON.stringify(event);
  return `${checksum(json)} ${json}\n`;
}

/** The event of one line, or null when the line is torn or corrupt. */
function decode(line: string): AccessLogEvent | null {
  if (line.length < 10 || line[8] !== ' ') return null;
  const json = line.slice(9);
  if (checksum(json) !== line.slice(0, 8)) return null;
  try {
    return JSON.parse(json) as AccessLogEvent;
  } catch {
    return null;
  }
}

/** Opens read-write at any position (not O_APPEND, whose writes ignore the position), creating the file. */
async function openForUpdate(path: string): Promise<FileHandle> {
  await (await open(path, 'a')).close();
  return open(path, 'r+');
}

function encodeHead(position: number): string {
  const hex = position.toString(16).padStart(16, '0');
  return `${hex} ${checksum(hex)}\n`;
}

function decodeHead(text: string): number | null {
  const match = /^([0-9a-f]{16}) ([0-9a-f]{8})\n$/.exec(text);
  if (match === null || checksum(match[1] ?? '') !== match[2]) return null;
  return Number.parseInt(match[1] ?? '', 16);
}

/**
 * An append-only file of access-log events that could not be sent yet, oldest first.
 *
 * - `append` writes a whole batch with one `write` and one `fdatasync`, so a resolved append is on disk.
 * - The events between the head position (kept in a small side file) and the end of the file are the
 *   unsent ones. `ack(end)` moves the head after a send resolved; when the head reaches the end the
 *   file is truncated to zero. A crash between a send and its ack resends that batch after the restart
 *   (the events keep their ids, so metering's dedup makes the resend harmless and visible).
 * - On open, every record after the head is checked (CRC-32); a torn or corrupt tail — a crash in the
 *   middle of a write — is cut off and logged.
 * - All operations run one after another in call order, so an append issued before a read is seen by it.
 */
export class AccessLogSpool {
  private readonly directory: string;
  private readonly logger: Logger;
  private readonly maxBytes: number;
  private data: FileHandle | null = null;
  private headFile: FileHandle | null = null;
  private head = 0;
  private size = 0;
  private count = 0;
  private oldest: number | null = null;
  private droppedCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(options: AccessLogSpoolOptions) {
    this.directory = options.directory;
    this.logger = options.logger;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  }

  /** Opens (or creates) the spool in its directory and recovers what a previous run left. */
  static async open(options: AccessLogSpoolOptions): Promise<AccessLogSpool> {
    const spool = new AccessLogSpool(options);
    await spool.recover();
    return spool;
  }

  /** Events in the spool, not yet acknowledged. */
  get depth(): number {
    return this.count;
  }

  /** Bytes of the unacknowledged events. */
  get depthBytes(): number {
    return this.size - this.head;
  }

  /** Bytes the spool file occupies (acknowledged events are reclaimed once the spool drains). */
  get fileBytes(): number {
    return this.size;
  }

  /** `ts` of the oldest spooled event (exact after open, append to an empty spool and every read). */
  get oldestTs(): number | null {
    return this.oldest;
  }

  /** Events refused because the spool was full or could not be written, since start. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Appends events in order; resolves once they are durable. Events that would grow the file beyond
   * `maxBytes` are dropped (the newest ones), counted and logged; the number dropped is returned.
   */
  append(events: readonly AccessLogEvent[]): Promise<number> {
    return this.serial(() => this.appendNow(events));
  }

  /** Reads up to `max` events from the head, without removing them. */
  read(max: number): Promise<SpoolBatch> {
    return this.serial(() => this.readNow(max));
  }

  /** The events up to `end` were sent: moves the head there (and empties the file once drained). */
  ack(batch: Pick<SpoolBatch, 'end' | 'events' | 'nextTs'>): Promise<void> {
    return this.serial(() => this.ackNow(batch));
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      await this.data?.close();
      await this.headFile?.close();
      this.data = null;
      this.headFile = null;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private file(): FileHandle {
    if (this.data === null) throw new Error('the access-log spool is closed');
    return this.data;
  }

  private async recover(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    this.data = await openForUpdate(join(this.directory, dataFileName));
    this.headFile = await openForUpdate(join(this.directory, headFileName));
    const headText = (await this.headFile.readFile('utf8')) || encodeHead(0);
    const size = (await this.data.stat()).size;
    const storedHead = decodeHead(headText);
    if (storedHead === null) {
      this.logger.error(
        { directory: this.directory },
        'access-log spool head is corrupt: replaying the whole spool (duplicates are deduplicated by event id)',
      );
    }
    // A head beyond the end means the file was emptied after the last ack and the head not yet reset.
    this.head = storedHead === null || storedHead > size ? 0 : storedHead;
    this.size = this.head;
    let position = this.head;
    let chunkBytes = readChunkBytes;
    while (position < size) {
      const chunk = Buffer.alloc(Math.min(chunkBytes, size - position));
      const { bytesRead } = await this.data.read(chunk, 0, chunk.length, position);
      let start = 0;
      let valid = true;
      for (let index = chunk.indexOf(newline, 0); index !== -1 && index < bytesRead;) {
        const event = decode(chunk.toString('utf8', start, index));
        if (event === null) {
          valid = false;
          break;
        }
        if (this.count === 0) this.oldest = event.ts;
        this.count += 1;
        start = index + 1;
        index = chunk.indexOf(newline, start);
      }
      position += start;
      this.size = position;
      if (!valid) break; // a corrupt record: everything from it on is the torn tail
      if (start === 0) {
        if (chunk.length === size - position) break; // a last line that never ended: the torn tail
        chunkBytes *= 2; // one record longer than the chunk
      }
    }
    if (this.size < size) {
      this.logger.warn(
        { directory: this.directory, cutBytes: size - this.size, keptEvents: this.count },
        'access-log spool had a torn or corrupt tail (a crash mid-write); cut it off',
      );
      await this.data.truncate(this.size);
      await this.data.datasync();
    }
    if (this.count === 0 && size > 0) await this.resetNow();
    else if (this.count > 0)
      this.logger.info(
        { directory: this.directory, events: this.count, bytes: this.depthBytes },
        'access-log spool from a previous run found; replaying it',
      );
  }

  private async appendNow(events: readonly AccessLogEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const lines: string[] = [];
    let bytes = 0;
    for (const event of events) {
      const line = encode(event);
      const length = Buffer.byteLength(line);
      if (this.size + bytes + length > this.maxBytes) break;
      lines.push(line);
      bytes += length;
    }
    let dropped = events.length - lines.length;
    if (lines.length > 0) {
      try {
        const { bytesWritten } = await this.file().write(lines.join(''), this.size);
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
        await this.file().datasync();
        if (this.count === 0) this.oldest = events[0]?.ts ?? null;
        this.size += bytes;
        this.count += lines.length;
      } catch (error) {
        // Cut whatever part made it, so the file ends on a record boundary again.
        await this.file()
          .truncate(this.size)
          .catch(() => undefined);
        this.logger.error({ err: error, events: lines.length }, 'writing to the access-log spool failed');
        dropped = events.length;
      }
    }
    if (dropped > 0) {
      this.droppedCount += dropped;
      this.logger.error(
        {
          dropped,
          droppedTotal: this.droppedCount,
          fileBytes: this.size,
          maxBytes: this.maxBytes,
          firstDroppedId: events[events.length - dropped]?.id,
        },
        'access-log spool is full or failing: events dropped (admitted requests without a metered event)',
      );
    }
    return dropped;
  }

  private async readNow(max: number): Promise<SpoolBatch> {
    const events: AccessLogEvent[] = [];
    let position = this.head;
    let nextTs: number | null = null;
    let chunkBytes = readChunkBytes;
    while (events.length < max && position < this.size) {
      const chunk = Buffer.alloc(Math.min(chunkBytes, this.size - position));
      const { bytesRead } = await this.file().read(chunk, 0, chunk.length, position);
      let start = 0;
      for (let index = chunk.indexOf(newline, 0); index !== -1 && index < bytesRead;) {
        const event = decode(chunk.toString('utf8', start, index));
        if (event === null) throw new Error(`access-log spool record at byte ${position + start} is corrupt`);
        if (events.length === max) {
          nextTs = event.ts;
          break;
        }
        events.push(event);
        start = index + 1;
        index = chunk.indexOf(newline, start);
      }
      if (start === 0) {
        if (chunk.length === this.size - position) throw new Error('access-log spool ends inside a record');
        chunkBytes *= 2; // one record longer than the chunk
      }
      position += start;
    }
    if (events[0] !== undefined) this.oldest = events[0].ts;
    return { events, end: position, nextTs };
  }

  private async ackNow(batch: Pick<SpoolBatch, 'end' | 'events' | 'nextTs'>): Promise<void> {
    if (batch.end <= this.head) return;
    this.count = Math.max(0, this.count - batch.events.length);
    if (batch.end >= this.size || this.count === 0) {
      await this.resetNow();
      return;
    }
    this.head = batch.end;
    this.oldest = batch.nextTs ?? this.oldest;
    await this.writeHead(this.head);
  }

  /** Empties the spool: the data file first, so a crash in between leaves a head past the end (read as 0). */
  private async resetNow(): Promise<void> {
    await this.file().truncate(0);
    await this.file().datasync();
    await this.writeHead(0);
    this.head = 0;
    this.size = 0;
    this.count = 0;
    this.oldest = null;
  }

  private async writeHead(position: number): Promise<void> {
    const handle = this.headFile;
    if (handle === null) throw new Error('the access-log spool is closed');
    // A fixed-width 26-byte write at offset 0 lies within one disk sector; the CRC catches a torn one.
    await handle.write(encodeHead(position), 0);
    await handle.datasync();
  }

  /** Deletes the spool's files (tests). */
  static async destroy(directory: string): Promise<void> {
    await rm(join(directory, dataFileName), { force: true });
    await rm(join(directory, headFileName), { force: true });
  }
}
