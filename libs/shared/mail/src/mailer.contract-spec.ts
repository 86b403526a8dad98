import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '@tollgate/errors';
import { type Mailer } from '@tollgate/ports';
import { createMailer } from './mailer.factory';
import { parseMimeMessage } from './mime-message.parser';
import { createOutboxMailer, listOutbox, readOutboxMessage } from './outbox-mailer.adapter';
import { createSmtpMailer } from './smtp-mailer.adapter';
// The lib's own testing entry, imported relatively from inside the lib.
import { startTestSmtpServer } from './testing';

const from = 'Tollgate Test <no-reply@tollgate.test>';

/** What arrived, whichever adapter delivered it. */
interface Delivered {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  messageId?: string;
  raw: string;
}

interface Harness {
  mailer: Mailer;
  delivered(messageId: string): Promise<Delivered>;
  cleanup(): Promise<void>;
}

const adapters: Array<[string, () => Promise<Harness>]> = [
  [
    'smtp',
    async () => {
      const server = await startTestSmtpServer();
      const mailer = createSmtpMailer({ url: server.url, from });
      return {
        mailer,
        async delivered(messageId) {
          const mail = await server.waitFor((received) => received.messageId === messageId);
          expect(mail.from).toBe('no-reply@tollgate.test');
          return { ...mail, from: parseMimeMessage(mail.raw).from };
        },
        cleanup: () => server.close(),
      };
    },
  ],
  [
    'outbox',
    async () => {
      const directory = join(await mkdtemp(join(tmpdir(), 'tollgate-outbox-')), 'outbox');
      return {
        mailer: createOutboxMailer({ directory, from }),
        async delivered(messageId) {
          const entry = (await listOutbox(directory)).find((listed) => listed.messageId === messageId);
          if (entry === undefined) throw new Error(`No outbox file for ${messageId}`);
          return readOutboxMessage(directory, entry.file);
        },
        cleanup: () => rm(join(directory, '..'), { recursive: true, force: true }),
      };
    },
  ],
];

describe.each(adapters)('Mailer contract (%s)', (_adapter, create) => {
  let harness: Harness;
  let mailer: Mailer;

  beforeEach(async () => {
    harness = await create();
    mailer = harness.mailer;
  });

  afterEach(async () => {
    await mailer.close();
    await harness.cleanup();
  });

  it('answers ping', async () => {
    await expect(mailer.ping()).resolves.toBeUndefined();
  });

  it('delivers sender, recipients, subject, text and an html alternative', async () => {
    const sent = await mailer.send({
      to: ['dev@example.com', 'billing@example.com'],
      subject: 'Usage at 80 %',
      text: 'Hello,\nyou have used 80 % of your quota.',
      html: '<p>Hello,</p><p>you have used <b>80 %</b> of your quota.</p>',
    });

    const mail = await harness.delivered(sent.messageId);
    expect(mail.from).toContain('Tollgate Test');
    expect(mail.from).toContain('<no-reply@tollgate.test>');
    expect(mail.to).toEqual(['dev@example.com', 'billing@example.com']);
    expect(mail.subject).toBe('Usage at 80 %');
    expect(mail.text?.trim()).toBe('Hello,\nyou have used 80 % of your quota.');
    expect(mail.html?.trim()).toBe('<p>Hello,</p><p>you have used <b>80 %</b> of your quota.</p>');
    expect(mail.raw).toMatch(/^Content-Type: multipart\/alternative;/im);
    expect(mail.raw).toMatch(/^Date: /m);
  });

  it('sends a text-only mail without an html part', async () => {
    const sent = await mailer.send({ to: ['dev@example.com'], subject: 'Plain', text: 'Just text.' });

    const mail = await harness.delivered(sent.messageId);
    expect(mail.text?.trim()).toBe('Just text.');
    expect(mail.html).toBeUndefined();
  });

  it('keeps the Message-ID the caller gives, and extra headers', async () => {
    const sent = await mailer.send({
      to: ['dev@example.com'],
      subject: 'Threshold reached',
      text: 'You reached 95 %.',
      headers: { 'Message-ID': '<alert-cons_1-p1-95@tollgate.test>', 'X-Tollgate-Alert': '95' },
    });
    expect(sent.messageId).toBe('<alert-cons_1-p1-95@tollgate.test>');

    const mail = await harness.delivered('<alert-cons_1-p1-95@tollgate.test>');
    expect(mail.messageId).toBe('<alert-cons_1-p1-95@tollgate.test>');
    expect(mail.raw).toMatch(/^X-Tollgate-Alert: 95\r?$/m);
  });

  it('generates a Message-ID in the sender’s domain when none is given', async () => {
    const sent = await mailer.send({ to: ['dev@example.com'], subject: 'Welcome', text: 'Hi.' });
    expect(sent.messageId).toMatch(/^<[0-9a-f-]{36}@tollgate\.test>$/);

    const mail = await harness.delivered(sent.messageId);
    expect(mail.messageId).toBe(sent.messageId);
  });

  it('encodes a non-ASCII subject and body so they arrive intact', async () => {
    const subject = 'Quota bientôt atteint — 95 % ✓ 利用量';
    const text = 'Grüße! Vous avez utilisé 95 % — 残りわずか.';
    const sent = await mailer.send({ to: ['dev@example.com'], subject, text });

    const mail = await harness.delivered(sent.messageId);
    expect(mail.subject).toBe(subject);
    expect(mail.text?.trim()).toBe(text);
    const head = mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/));
    // The header section is 7-bit: the subject travels as RFC 2047 encoded words.
    expect(/^[\x20-\x7e\r\n\t]*$/.test(head)).toBe(true);
    expect(head).toMatch(/^Subject: =\?UTF-8\?/im);
  });
});

describe('SMTP mailer specifics', () => {
  it('fails ping and send fast when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${address.port}`, from });
    const started = Date.now();
    await expect(mailer.ping()).rejects.toThrow('smtp is unavailable');
    await expect(mailer.send({ to: ['dev@example.com'], subject: 'x', text: 'x' })).rejects.toThrow(
      'smtp is unavailable',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    await mailer.close();
  });
});

describe('Outbox specifics', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tollgate-outbox-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists messages newest first and leaves no temporary files', async () => {
    const directory = join(root, 'outbox');
    expect(await listOutbox(directory)).toEqual([]);
    const mailer = createOutboxMailer({ directory, from });
    const first = await mailer.send({ to: ['a@example.com'], subject: 'First', text: '1' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await mailer.send({ to: ['b@example.com'], subject: 'Second', text: '2' });

    const listed = await listOutbox(directory);
    expect(listed.map((entry) => [entry.subject, entry.messageId, entry.to])).toEqual([
      ['Second', second.messageId, ['b@example.com']],
      ['First', first.messageId, ['a@example.com']],
    ]);
    expect(listed[0].file).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml$/);
    expect(Number.isNaN(Date.parse(listed[0].date))).toBe(false);
    expect((await readdir(directory)).sort()).toEqual(listed.map((entry) => entry.file).sort());
    const { mode } = await stat(join(directory, listed[0].file));
    expect(mode & 0o002).toBe(0);
  });

  it('reads only outbox files, never a path', async () => {
    const directory = join(root, 'outbox');
    await expect(readOutboxMessage(directory, '../secret.eml')).rejects.toThrow(NotFoundError);
    await expect(readOutboxMessage(directory, '20250101T000000.000Z-0123456789abcdef.eml')).rejects.toThrow(
      NotFoundError,
    );
  });

  it('is what createMailer picks without SMTP_URL, under TOLLGATE_DATA_DIR/outbox', async () => {
    const mailer = createMailer({ MAIL_FROM: from, TOLLGATE_DATA_DIR: root });
    const sent = await mailer.send({ to: ['dev@example.com'], subject: 'Embedded', text: 'ok' });
    expect((await listOutbox(join(root, 'outbox'))).map((entry) => entry.messageId)).toEqual([
      sent.messageId,
    ]);
  });
});

describe('createMailer with SMTP_URL', () => {
  it('sends over SMTP', async () => {
    const server = await startTestSmtpServer();
    const mailer = createMailer({ SMTP_URL: server.url, MAIL_FROM: from, TOLLGATE_DATA_DIR: tmpdir() });
    try {
      const sent = await mailer.send({ to: ['dev@example.com'], subject: 'Distributed', text: 'ok' });
      const mail = await server.waitFor((received) => received.messageId === sent.messageId);
      expect(mail.subject).toBe('Distributed');
    } finally {
      await mailer.close();
      await server.close();
    }
  });
});
