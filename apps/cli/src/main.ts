import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AdminClient } from './admin-client';
import { renderTable } from './table';

/**
 * Operator CLI: `npm run tollgate -- <command>`. It drives the control plane's admin API (so the
 * same use cases, validation and audit log apply, and it works while `npm start` holds the data).
 * Target: TOLLGATE_API_URL + TOLLGATE_ADMIN_TOKEN, or the embedded demo.json under TOLLGATE_DATA_DIR.
 */
const usage = `Usage: npm run tollgate -- <command> [options]

  plans list
  plans create --name <name> --quota <n> [--period month|day] [--rate <per-second>] [--burst <n>]
               [--flat-price <minor units>] [--currency usd]
  consumers list
  consumers create --name <name> --email <email> --plan <plan id> [--time-zone <IANA zone>]
  keys list --consumer <consumer id>
  keys create --consumer <consumer id> [--name <name>]
  keys revoke <key id>
  usage show <consumer id>

Environment: TOLLGATE_API_URL and TOLLGATE_ADMIN_TOKEN, or TOLLGATE_DATA_DIR (default ./.data) with demo.json.`;

interface Plan {
  id: string;
  name: string;
  version: number;
  quota: { limit: number; period: string };
  rateLimit: { perSecond: number; burst: number } | null;
  prices: Array<{ type: string; amountMinor?: number; currency?: string }>;
}

interface Consumer {
  id: string;
  name: string;
  email: string;
  status: string;
  subscription?: { planId: string; planVersion: number; status: string } | null;
}

interface KeyView {
  id: string;
  prefix: string;
  name: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

function target(): AdminClient {
  const url = process.env['TOLLGATE_API_URL'];
  const token = process.env['TOLLGATE_ADMIN_TOKEN'];
  if (url && token) return new AdminClient(url.replace(/\/+$/, ''), token);
  const demoFile = join(resolve(process.env['TOLLGATE_DATA_DIR'] ?? './.data'), 'demo.json');
  if (!existsSync(demoFile)) {
    throw new Error(
      `Set TOLLGATE_API_URL and TOLLGATE_ADMIN_TOKEN, or start Tollgate once so ${demoFile} exists.`,
    );
  }
  const demo = JSON.parse(readFileSync(demoFile, 'utf8')) as { apiUrl: string; adminToken: string };
  return new AdminClient(url ?? demo.apiUrl, token ?? demo.adminToken);
}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new Error(`--${name} is required\n\n${usage}`);
  return value;
}

function integer(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

function items<T>(body: T[] | { items: T[] }): T[] {
  return Array.isArray(body) ? body : body.items;
}

async function run(argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      quota: { type: 'string' },
      period: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      'flat-price': { type: 'string' },
      currency: { type: 'string' },
      email: { type: 'string' },
      plan: { type: 'string' },
      'time-zone': { type: 'string' },
      consumer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [noun, verb, argument] = positionals;
  if (values.help || !noun) return usage;
  const client = target();
  const command = `${noun} ${verb ?? ''}`.trim();
  switch (command) {
    case 'plans list': {
      const plans = items(await client.request<Plan[] | { items: Plan[] }>('GET', '/api/admin/plans'));
      return renderTable(
        ['id', 'name', 'version', 'quota', 'rate/s', 'price'],
        plans.map((plan) => [
          plan.id,
          plan.name,
          plan.version,
          `${plan.quota.limit}/${plan.quota.period}`,
          plan.rateLimit ? `${plan.rateLimit.perSecond} (burst ${plan.rateLimit.burst})` : '',
          plan.prices
            .map((price) => `${price.type} ${price.amountMinor ?? ''} ${price.currency ?? ''}`.trim())
            .join(', '),
        ]),
      );
    }
    case 'plans create': {
      const currency = (values.currency as string | undefined) ?? 'usd';
      const body: Record<string, unknown> = {
        name: required(values, 'name'),
        quota: {
          limit: integer(required(values, 'quota'), 'quota'),
          period: (values.period as string) ?? 'month',
        },
      };
      if (values.rate) {
        const perSecond = integer(values.rate as string, 'rate');
        body['rateLimit'] = {
          perSecond,
          burst: values.burst ? integer(values.burst as string, 'burst') : perSecond,
        };
      }
      if (values['flat-price']) {
        body['prices'] = [
          { type: 'flat', amountMinor: integer(values['flat-price'] as string, 'flat-price'), currency },
        ];
      }
      const plan = await client.request<Plan>('POST', '/api/admin/plans', body);
      return `created plan ${plan.id} (${plan.name}, version ${plan.version})`;
    }
    case 'consumers list': {
      const consumers = items(
        await client.request<Consumer[] | { items: Consumer[] }>('GET', '/api/admin/consumers'),
      );
      return renderTable(
        ['id', 'name', 'email', 'status', 'plan'],
        consumers.map((consumer) => [
          consumer.id,
          consumer.name,
          consumer.email,
          consumer.status,
          consumer.subscription
            ? `${consumer.subscription.planId} v${consumer.subscription.planVersion}`
            : '',
        ]),
      );
    }
    case 'consumers create': {
      const consumer = await client.request<Consumer>('POST', '/api/admin/consumers', {
        name: required(values, 'name'),
        email: required(values, 'email'),
        planId: required(values, 'plan'),
        ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}),
      });
      return `created consumer ${consumer.id} (${consumer.name})`;
    }
    case 'keys list': {
      const consumerId = required(values, 'consumer');
      const keys = await client.request<KeyView[]>(
        'GET',
        `/api/admin/consumers/${encodeURIComponent(consumerId)}/keys`,
      );
      return renderTable(
        ['id', 'prefix', 'name', 'created', 'expires', 'revoked'],
        keys.map((key) => [key.id, key.prefix, key.name, key.createdAt, key.expiresAt, key.revokedAt]),
      );
    }
    case 'keys create': {
      const consumerId = required(values, 'consumer');
      const key = await client.request<{ id: string; key: string }>(
        'POST',
        `/api/admin/consumers/${encodeURIComponent(consumerId)}/keys`,
        values.name ? { name: values.name } : {},
      );
      return `created key ${key.id}\n${key.key}\n(shown once: store it now)`;
    }
    case 'keys revoke': {
      if (!argument) throw new Error(`keys revoke needs a key id\n\n${usage}`);
      await client.request('DELETE', `/api/admin/keys/${encodeURIComponent(argument)}`);
      return `revoked key ${argument}`;
    }
    case 'usage show': {
      if (!argument) throw new Error(`usage show needs a consumer id\n\n${usage}`);
      const report = await client.request<{
        periodStart: string;
        periodEnd: string;
        requests: number;
        units: Record<string, number>;
        quota: { limit: number; remaining: number; overage: number };
      }>('GET', `/api/admin/consumers/${encodeURIComponent(argument)}/usage`);
      return renderTable(
        ['period', 'requests', 'limit', 'remaining', 'overage', 'units'],
        [
          [
            `${report.periodStart} → ${report.periodEnd}`,
            report.requests,
            report.quota.limit,
            report.quota.remaining,
            report.quota.overage,
            Object.entries(report.units)
              .map(([name, amount]) => `${name}=${amount}`)
              .join(', '),
          ],
        ],
      );
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${usage}`);
  }
}

run(process.argv.slice(2))
  .then((output) => process.stdout.write(`${output}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
