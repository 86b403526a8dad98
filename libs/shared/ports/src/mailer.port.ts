/** Mail port: SMTP in production, `.eml` files in the outbox folder when embedded. */

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /** Extra headers, e.g. a deterministic Message-ID for idempotent sends. */
  headers?: Record<string, string>;
}

export interface SentMail {
  messageId: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
