import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prefixedId, randomToken } from '@tollgate/ids';
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
import { hashPassword } from './password-hashing';
import { backfillPlanVersions, createPlan } from './plans';

const bootstrapActor: Actor = { type: 'system', id: 'bootstrap' };

export interface DemoInfo {
  adminToken: string;
  demoKey: string;
  demoConsumerId: string;
  gatewayUrl: string;
  apiUrl: string;
  demoPath: string;
  /** The demo consumer's developer-portal login (generated at first start). */
  developerEmail?: string;
  developerPassword?: string;
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

  const developer = await ensureDemoDeveloper(prisma, demoConsumerId as string, previous);

  const info: DemoInfo = {
    adminToken,
    demoKey,
    demoConsumerId: demoConsumerId as string,
    developerEmail: developer.email,
    developerPassword: developer.password,
    gatewayUrl: options.gatewayUrl,
    apiUrl: options.apiUrl,
    demoPath: demoApi.demoPath,
  };
  await writeDemoFile(options.dataDirectory, info);
  return info;
}

/**
 * The portal login of the demo consumer: a verified developer whose password is generated at first
 * start and kept only in demo.json. A developer linked to the consumer without a known password
 * (demo.json lost) gets a new one.
 */
async function ensureDemoDeveloper(
  prisma: PrismaClient,
  consumerId: string,
  previous: Partial<DemoInfo>,
): Promise<{ email: string; password: string }> {
  const consumer = await prisma.consumer.findUniqueOrThrow({
    where: { id: consumerId },
    include: { developer: true },
  });
  if (
    consumer.developer &&
    previous.developerPassword &&
    previous.developerEmail === consumer.developer.email
  ) {
    return { email: consumer.developer.email, password: previous.developerPassword };
  }
  const password = randomToken(20);
  const passwordHash = await hashPassword(password);
  if (consumer.developer) {
    await prisma.developer.update({ where: { id: consumer.developer.id }, data: { passwordHash } });
    return { email: consumer.developer.email, password };
  }
  const developer = await prisma.developer.upsert({
    where: { email: consumer.email },
    create: {
      id: prefixedId('dev'),
      email: consumer.email,
      name: consumer.name,
      passwordHash,
      emailVerifiedAt: new Date(),
    },
    update: { passwordHash, emailVerifiedAt: new Date() },
  });
  await prisma.consumer.update({ where: { id: consumerId }, data: { developerId: developer.id } });
  return { email: developer.email, password };
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
