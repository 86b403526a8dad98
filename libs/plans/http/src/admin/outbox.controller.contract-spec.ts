import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError, NotFoundError } from '@tollgate/errors';
import { createOutboxMailer } from '@tollgate/mail';
import { type PlansHttpDependencies } from '../plans-http.tokens';
import { OutboxController } from './outbox.controller';

describe('OutboxController (a real outbox folder)', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tollgate-outbox-api-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists sent mail newest first and reads one message without its raw source', async () => {
    const directory = join(root, 'outbox');
    const controller = new OutboxController({ outboxDirectory: directory } as PlansHttpDependencies);
    expect(await controller.list()).toEqual({ messages: [] });

    const mailer = createOutboxMailer({ directory, from: 'Tollgate <noreply@tollgate.test>' });
    await mailer.send({ to: ['ana@example.com'], subject: 'First', text: 'one' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await mailer.send({
      to: ['bob@example.com'],
      subject: 'Verify your email',
      text: 'Open https://x/verify?token=abc',
    });

    const { messages } = await controller.list();
    expect(messages.map((message) => [message.subject, message.to])).toEqual([
      ['Verify your email', ['bob@example.com']],
      ['First', ['ana@example.com']],
    ]);

    const message = await controller.read(messages[0].file);
    expect(message).toMatchObject({ subject: 'Verify your email', to: ['bob@example.com'] });
    expect(message.text).toContain('https://x/verify?token=abc');
    expect(message).not.toHaveProperty('raw');
  });

  it('refuses names that are not outbox files (no path traversal) with 404', async () => {
    const controller = new OutboxController({
      outboxDirectory: join(root, 'outbox'),
    } as PlansHttpDependencies);
    await expect(controller.read('../secret.eml')).rejects.toBeInstanceOf(NotFoundError);
    await expect(controller.read('20250101T000000.000Z-0123456789abcdef.eml')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('answers not_found when mail goes to SMTP (no outbox folder)', async () => {
    const controller = new OutboxController({} as PlansHttpDependencies);
    await expect(controller.list()).rejects.toBeInstanceOf(DomainError);
    await expect(controller.list()).rejects.toMatchObject({ code: 'not_found' });
    await expect(controller.read('20250101T000000.000Z-0123456789abcdef.eml')).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
