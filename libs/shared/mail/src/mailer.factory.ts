import { join } from 'node:path';
import { type Mailer } from '@tollgate/ports';
import { type MailLogger } from './mail-logger';
import { createOutboxMailer } from './outbox-mailer.adapter';
import { createSmtpMailer } from './smtp-mailer.adapter';

export interface MailerConfig {
  SMTP_URL?: string;
  MAIL_FROM: string;
  TOLLGATE_DATA_DIR: string;
}

/** The outbox folder of embedded mode, also read by the admin UI. */
export function outboxDirectory(config: Pick<MailerConfig, 'TOLLGATE_DATA_DIR'>): string {
  return join(config.TOLLGATE_DATA_DIR, 'outbox');
}

/** SMTP when SMTP_URL is set (distributed), otherwise `.eml` files in the outbox (embedded). */
export function createMailer(config: MailerConfig, logger?: MailLogger): Mailer {
  return config.SMTP_URL
    ? createSmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM, logger })
    : createOutboxMailer({ directory: outboxDirectory(config), from: config.MAIL_FROM, logger });
}
