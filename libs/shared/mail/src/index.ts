export * from './mail-logger';
export * from './mailer.factory';
export * from './mime-message.parser';
export * from './outbox-mailer.adapter';
export * from './smtp-mailer.adapter';
