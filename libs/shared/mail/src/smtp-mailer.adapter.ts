import { DependencyUnavailableError } from '@tollgate/errors';
import { type MailMessage, type Mailer, type SentMail } from '@tollgate/ports';
import { createTransport } from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { type MailLogger } from './mail-logger';
import { toMailOptions } from './mail-options';

export interface SmtpMailerOptions {
  /**
   * `smtp://user:pass@host:port` (plain, upgraded with STARTTLS when the server offers it) or
   * `smtps://…` (TLS from the start). Query parameters are nodemailer options, e.g. `?pool=true`.
   */
  url: string;
  /** Sender of every mail, e.g. `Tollgate <no-reply@example.com>`. */
  from: string;
  logger?: MailLogger;
  /** Connect, greeting and socket inactivity timeout (ms, default 10 000). */
  timeoutMs?: number;
}

/** nodemailer error codes that mean the server could not be reached or talked to. */
const connectionCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'EPROXY']);

/** Mail over SMTP with nodemailer. */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // SMTPTransport merges the URL over these options; createTransport(url) would drop them.
  const transporter = createTransport(
    new SMTPTransport({
      url: options.url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    }),
  );
  let closed = false;

  const translate = (error: unknown): unknown => {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && connectionCodes.has(code)
      ? new DependencyUnavailableError('smtp', error)
      : error;
  };
  const assertOpen = (): void => {
    if (closed) throw new DependencyUnavailableError('smtp', new Error('mailer is closed'));
  };

  return {
    async send(message: MailMessage): Promise<SentMail> {
      assertOpen();
      const { options: mail, messageId } = toMailOptions(options.from, message);
      try {
        await transporter.sendMail(mail);
      } catch (error) {
        throw translate(error);
      }
      // Addresses are personal data: log the id and the count only.
      options.logger?.info({ messageId, recipients: message.to.length }, 'mail sent');
      return { messageId };
    },

    async ping(): Promise<void> {
      assertOpen();
      try {
        await transporter.verify();
      } catch (error) {
        throw new DependencyUnavailableError('smtp', error);
      }
    },

    async close(): Promise<void> {
      closed = true;
      transporter.close();
    },
  };
}
