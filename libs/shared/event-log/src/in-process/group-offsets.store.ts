import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/** Committed offsets of one consumer group: topic → partition → next offset to read. */
type OffsetsByTopic = Record<string, Record<string, number>>;

interface GroupOffsetsFile {
  group: string;
  offsets: OffsetsByTopic;
}

let temporaryFileCounter = 0;

/**
 * The committed offsets of one group, kept in memory and persisted as one small JSON file that is
 * replaced atomically (write a temporary file, fsync, rename), so a crash leaves either the old or
 * the new offsets, never a mix. Concurrent commits coalesce into one write.
 */
export class GroupOffsetsStore {
  private pendingWrite: Promise<void> | null = null;
  private lastWrite: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly group: string,
    private readonly offsets: OffsetsByTopic,
    private readonly fsync: boolean,
  ) {}

  static async open(path: string, group: string, options: { fsync: boolean }): Promise<GroupOffsetsStore> {
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return new GroupOffsetsStore(path, group, {}, options.fsync);
      throw error;
    }
    let offsets: OffsetsByTopic;
    try {
      offsets = (JSON.parse(text) as GroupOffsetsFile).offsets;
    } catch (error) {
      throw new Error(`the committed offsets of group ${group} in ${path} are unreadable`, { cause: error });
    }
    return new GroupOffsetsStore(path, group, offsets, options.fsync);
  }

  committed(topic: string, partition: number): number | undefined {
    return this.offsets[topic]?.[String(partition)];
  }

  /** Records `nextOffset` as committed and resolves once it is on disk. */
  commit(topic: string, partition: number, nextOffset: number): Promise<void> {
    (this.offsets[topic] ??= {})[String(partition)] = nextOffset;
    return this.scheduleWrite();
  }

  private scheduleWrite(): Promise<void> {
    // A write that has not started yet will include this change too: share it.
    if (this.pendingWrite) return this.pendingWrite;
    const write = this.lastWrite.then(() => {
      this.pendingWrite = null;
      return this.writeNow();
    });
    this.pendingWrite = write;
    this.lastWrite = write.catch(() => undefined);
    return write;
  }

  private async writeNow(): Promise<void> {
    const body: GroupOffsetsFile = { group: this.group, offsets: this.offsets };
    temporaryFileCounter += 1;
    const temporary = `${this.path}.${process.pid}.${temporaryFileCounter}.tmp`;
    const file = await fs.open(temporary, 'w', 0o644);
    try {
      await file.writeFile(JSON.stringify(body));
      if (this.fsync) await file.sync();
    } finally {
      await file.close();
    }
    try {
      await fs.rename(temporary, this.path);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
    if (this.fsync) await syncDirectory(dirname(this.path));
  }

  /** Waits for writes already scheduled. */
  async flush(): Promise<void> {
    await this.lastWrite;
  }
}

/** Makes a rename or a new file in `directory` durable (the entry lives in the directory). */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
