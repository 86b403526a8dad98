import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DemoInfo } from '@tollgate/plans-data';
import {
  type EmbeddedPlatform,
  eventually,
  repositoryRoot,
  startEmbeddedPlatform,
} from './support/app-process';

jest.setTimeout(300_000);

const run = promisify(execFile);

/** `npm run tollgate -- …` against a running embedded instance (found through demo.json). */
describe('operator CLI', () => {
  let dataDirectory: string;
  let demo: DemoInfo;

  const tollgate = async (...args: string[]) => {
    try {
      const { stdout } = await run(
        process.execPath,
        [
          '-r',
          join(repositoryRoot, 'tools', 'register.cjs'),
          join(repositoryRoot, 'apps/cli/src/main.ts'),
          ...args,
        ],
        { cwd: repositoryRoot, env: { PATH: process.env['PATH'] ?? '', TOLLGATE_DATA_DIR: dataDirectory } },
      );
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  };

  let embedded: EmbeddedPlatform;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('cli');
    ({ demo, dataDirectory } = embedded);
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  it('creates a plan, a consumer and a key that the gateway accepts, then revokes it', async () => {
    const plans = await tollgate('plans', 'list');
    expect(plans.code).toBe(0);
    expect(plans.stdout).toMatch(/Free\s+1\s+1000\/month/);

    const created = await tollgate(
      'plans',
      'create',
      '--name',
      'Team',
      '--quota',
      '100000',
      '--rate',
      '20',
      '--flat-price',
      '9900',
    );
    expect(created.code).toBe(0);
    const planId = /created plan (plan_\w+)/.exec(created.stdout)?.[1] as string;
    expect(planId).toBeDefined();
    expect((await tollgate('plans', 'list')).stdout).toMatch(
      /Team\s+1\s+100000\/month\s+20 \(burst 20\)\s+flat 9900 usd/,
    );

    const consumer = await tollgate(
      'consumers',
      'create',
      '--name',
      'Acme',
      '--email',
      'dev@acme.test',
      '--plan',
      planId,
    );
    const consumerId = /created consumer (cons_\w+)/.exec(consumer.stdout)?.[1] as string;
    expect(consumerId).toBeDefined();

    const key = await tollgate('keys', 'create', '--consumer', consumerId);
    const [, keyId, secret] = /created key (key_\w+)\n(tg_live_\w+)/.exec(key.stdout) ?? [];
    expect(secret).toMatch(/^tg_live_/);
    expect((await tollgate('keys', 'list', '--consumer', consumerId)).stdout).not.toContain(secret);

    const call = () =>
      fetch(`${demo.gatewayUrl}${demo.demoPath}`, { headers: { 'x-api-key': secret } }).then((r) => r.status);
    await eventually(call, (status) => status === 200, 10_000, 'new key accepted by the gateway');
    expect((await tollgate('usage', 'show', consumerId)).stdout).toMatch(/100000/);

    expect((await tollgate('keys', 'revoke', keyId)).stdout).toContain(`revoked key ${keyId}`);
    await eventually(call, (status) => status === 401, 5_000, 'revoked key refused by the gateway');
  });

  it('prints the field the server rejected and exits 1', async () => {
    const result = await tollgate('plans', 'create', '--name', 'Broken', '--quota', '10', '--period', 'week');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/400/);
    expect(result.stderr).toMatch(/quota\.period/);
  });

  it('explains an unknown command', async () => {
    const result = await tollgate('plans', 'explode');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command "plans explode"');
  });
});
