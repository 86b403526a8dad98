import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prefixedId } from '@tollgate/ids';
import { type Logger } from '@tollgate/observability';
import {
  consumerCreateSchema,
  demoApi,
  demoPlans,
  parseInput,
  planCreateSchema,
} from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { AdminTokens } from './admin-tokens';
import { createApiKey } from './api-keys';
import { type Actor } from './audit-log';
import { createConsumer } from './consumers';
import { backfillPlanVersions, createPlan } from './plans';

const bootstrapActor: Actor = { type: 'system', id: 'bootstrap' };

export interface DemoInfo {
  adminToken: string;
  demoKey: string;
  demoConsumerId: string;
  gatewayUrl: string;
  apiUrl: string;
  demoPath: string;
}

export interface DemoBootstrapOptions {
  prisma: PrismaClient;
  dataDirectory: string;
  echoUpstreamUrl: string;
  gatewayUrl: string;
  apiUrl: string;
  /** ADMIN_TOKEN from the environment, when set (then no token is generated). */
  adminToken?: string;
  logger: Logger;
}

export function demoFilePath(dataDirectory: string): string {
  return join(dataDirectory, 'demo.json');
}

/**
 * First start: seeds the plans, the echo API, a demo consumer with a key and an admin token, and
 * writes them to demo.json (mode 600). Later starts reuse all of it; only the echo upstream URL and
 * the advertised URLs are refreshed.
 */
export async function bootstrapDemo(options: DemoBootstrapOptions): Promise<DemoInfo> {
  const { prisma, logger } = options;
  for (const plan of demoPlans) {
    const existing = await prisma.plan.findUnique({ where: { slug: plan.slug }, select: { id: true } });
    if (!existing) await createPlan(prisma, parseInput(planCreateSchema, plan), bootstrapActor);
  }
  await backfillPlanVersions(prisma);

  await prisma.api.upsert({
    where: { pathPrefix: demoApi.pathPrefix },
    create: {
      id: prefixedId('api'),
      name: demoApi.name,
      pathPrefix: demoApi.pathPrefix,
      upstreamUrl: options.echoUpstreamUrl,
      stripPrefix: true,
    },
    update: { upstreamUrl: options.echoUpstreamUrl },
  });

  const file = demoFilePath(options.dataDirectory);
  const previous = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Partial<DemoInfo>) : {};
  const tokens = new AdminTokens(prisma, options.adminToken);
  const createdToken = await tokens.ensure();
  const adminToken = options.adminToken ?? createdToken ?? previous.adminToken;
  if (!adminToken) {
    throw new Error(
      `An admin token exists in the database but ${file} is missing; set ADMIN_TOKEN to recover.`,
    );
  }

  let demoConsumerId = previous.demoConsumerId;
  let demoKey = previous.demoKey;
  const consumerExists =
    demoConsumerId !== undefined &&
    (await prisma.consumer.findUnique({ where: { id: demoConsumerId } })) !== null;
  if (!consumerExists || !demoKey) {
    const plan = await prisma.plan.findUniqueOrThrow({ where: { slug: demoApi.demoPlanSlug } });
    const consumer = await createConsumer(
      prisma,
      parseInput(consumerCreateSchema, {
        name: 'Demo developer',
        email: 'demo@example.com',
        planId: plan.id,
      }),
      bootstrapActor,
    );
    const key = await createApiKey(prisma, { consumerId: consumer.id, name: 'demo' }, bootstrapActor);
    const consumerId = consumer.id;
    demoConsumerId = consumerId;
    demoKey = key.key;
    logger.info({ consumerId }, 'seeded the demo consumer and its API key');
  }

  const info: DemoInfo = {
    adminToken,
    demoKey,
    demoConsumerId: demoConsumerId as string,
    gatewayUrl: options.gatewayUrl,
    apiUrl: options.apiUrl,
    demoPath: demoApi.demoPath,
  };
  await writeDemoFile(options.dataDirectory, info);
  return info;
}

/** Writes demo.json atomically with mode 600 (it holds the admin token and the demo key). */
export async function writeDemoFile(dataDirectory: string, info: DemoInfo): Promise<void> {
  const file = demoFilePath(dataDirectory);
  await mkdir(dataDirectory, { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
