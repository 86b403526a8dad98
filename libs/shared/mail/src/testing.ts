import { SMTPServer } from 'smtp-server';
import { parseMimeMessage } from './mime-message.parser';

/**
 * Test helpers of `@tollgate/mail`, a separate entry because they import the `smtp-server`
 * devDependency, which production code must never load.
 */

export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The message as received (CRLF line ends). */
  raw: string;
  /** Decoded Subject header. */
  subject: string;
  messageId?: string;
  text?: string;
  html?: string;
}

export interface TestSmtpServer {
  /** `smtp://test:test@127.0.0.1:<port>`: any credentials are accepted, and none are required. */
  url: string;
  messages: ReceivedMail[];
  /** Resolves with the first message (already received or arriving) that matches. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 and an ephemeral port, keeping what it receives in memory. */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    logger: false,
    // Plain text on loopback: STARTTLS would need a certificate the client trusts.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = parseMimeMessage(raw);
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          from: mailFrom === false ? '' : mailFrom.address,
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw,
          subject: parsed.subject,
          messageId: parsed.messageId,
          text: parsed.text,
          html: parsed.html,
        });
        for (const wake of waiters) wake();
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('The test SMTP server has no port');

  return {
    url: `smtp://test:test@127.0.0.1:${address.port}`,
    messages,
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise<ReceivedMail>((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.find(predicate);
          if (found === undefined) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
          return true;
        };
        const wake = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`No matching mail within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
