import { createHash, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DependencyUnavailableError, NotFoundError } from '@tollgate/errors';
import { type MailMessage, type Mailer, type SentMail } from '@tollgate/ports';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type MailLogger } from './mail-logger';
import { toMailOptions } from './mail-options';
import { parseMimeMessage } from './mime-message.parser';

export interface OutboxMailerOptions {
  directory: string;
  from: string;
  logger?: MailLogger;
}

/** One line of the outbox listing. */
export interface OutboxEntry {
  file: string;
  to: string[];
  subject: string;
  /** ISO timestamp of the Date header (the write time when the header is unreadable). */
  date: string;
  messageId: string;
}

export interface OutboxMessage extends OutboxEntry {
  from: string;
  text?: string;
  html?: string;
  /** The whole RFC 5322 message, as written. */
  raw: string;
}

/** `<ISO 8601 basic time>-<16 hex of the Message-ID hash>.eml`: sorts by time, safe on every file system. */
const outboxFileName = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml$/;

/**
 * Mail for embedded mode: each message becomes an `.eml` file (a real MIME message built by
 * nodemailer's MailComposer, so any mail client opens it) in the outbox folder the admin UI shows.
 */
export function createOutboxMailer(options: OutboxMailerOptions): Mailer {
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new DependencyUnavailableError('outbox', new Error('mailer is closed'));
  };

  return {
    async send(message: MailMessage): Promise<SentMail> {
      assertOpen();
      const { options: mail, messageId } = toMailOptions(options.from, message);
      const raw = await new MailComposer(mail).compile().build();
      const time = new Date().toISOString().replace(/[-:]/g, '');
      const hash = createHash('sha256').update(messageId).digest('hex').slice(0, 16);
      const file = `${time}-${hash}.eml`;
      await mkdir(options.directory, { recursive: true, mode: 0o750 });
      // Written under a temporary name and renamed, so a reader never sees half a message.
      const temporary = join(options.directory, `.${file}.${randomUUID()}.tmp`);
      try {
        await writeFile(temporary, raw, { mode: 0o640 });
        await rename(temporary, join(options.directory, file));
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      options.logger?.info({ messageId, file }, 'mail written to the outbox');
      return { messageId };
    },

    async ping(): Promise<void> {
      assertOpen();
      try {
        await mkdir(options.directory, { recursive: true, mode: 0o750 });
        await access(options.directory, constants.W_OK);
      } catch (error) {
        throw new DependencyUnavailableError('outbox', error);
      }
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}

/** The messages in the outbox, newest first; empty when nothing was sent yet. */
export async function listOutbox(directory: string): Promise<OutboxEntry[]> {
  let files: string[];
  try {
    files = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names = files.filter((file) => outboxFileName.test(file)).sort((a, b) => b.localeCompare(a));
  return Promise.all(
    names.map(async (file) => {
      const {
        raw: _raw,
        from: _from,
        text: _text,
        html: _html,
        ...entry
      } = await readOutboxMessage(directory, file);
      return entry;
    }),
  );
}

/** One outbox message, decoded; `NotFoundError` for a name that is not an outbox file. */
export async function readOutboxMessage(directory: string, file: string): Promise<OutboxMessage> {
  // The name comes from the admin UI: only plain outbox names, never a path.
  if (!outboxFileName.test(file)) throw new NotFoundError('Outbox message', file);
  let raw: Buffer;
  try {
    raw = await readFile(join(directory, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('Outbox message', file);
    throw error;
  }
  const parsed = parseMimeMessage(raw);
  return {
    file,
    from: parsed.from,
    to: parsed.to,
    subject: parsed.subject,
    date: parsed.date ?? timeOfFile(file),
    messageId: parsed.messageId ?? '',
    text: parsed.text,
    html: parsed.html,
    raw: raw.toString('utf8'),
  };
}

function timeOfFile(file: string): string {
  const t = file.slice(0, 20);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13)}`;
}
