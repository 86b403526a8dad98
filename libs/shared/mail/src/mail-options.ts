import { randomUUID } from 'node:crypto';
import { type MailMessage } from '@tollgate/ports';
import addressparser from 'nodemailer/lib/addressparser';
import type Mail from 'nodemailer/lib/mailer';

/**
 * Turns a port message into nodemailer options with a known Message-ID: the caller's (a
 * deterministic id makes a retried send recognisable as the same mail) or a fresh one. Both
 * adapters need the id before the message is built, the outbox to name its file.
 */
export function toMailOptions(
  from: string,
  message: MailMessage,
): { options: Mail.Options; messageId: string } {
  const headers: Record<string, string> = {};
  let given: string | undefined;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (name.toLowerCase() === 'message-id') given = value;
    else headers[name] = value;
  }
  const messageId = normalizeMessageId(given ?? `${randomUUID()}@${domainOf(from)}`);
  return {
    messageId,
    options: {
      from,
      to: message.to,
      subject: message.subject,
      // RFC 5322 lines end in CRLF; nodemailer leaves bare LFs of a 7-bit body as they are.
      text: crlf(message.text),
      ...(message.html === undefined ? {} : { html: crlf(message.html) }),
      headers,
      messageId,
    },
  };
}

function crlf(value: string): string {
  return value.replace(/\r?\n/g, '\r\n');
}

function normalizeMessageId(value: string): string {
  const bare = value.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}

function domainOf(from: string): string {
  const address = addressparser(from, { flatten: true })[0]?.address ?? '';
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1) : 'tollgate.local';
}
