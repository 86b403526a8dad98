import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey, prefixedId } from '@tollgate/ids';
import { type Logger } from '@tollgate/observability';
import { demoApi, demoPlans } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { AdminTokens } from './admin-tokens';

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
    const data = {
      name: plan.name,
      tier: plan.tier,
      quotaLimit: plan.quotaLimit,
      quotaPeriod: plan.quotaPeriod,
      ratePerSecond: plan.ratePerSecond,
      rateBurst: plan.rateBurst,
      concurrency: plan.concurrency,
      prices: plan.prices as unknown as object,
    };
    const existing = await prisma.plan.findUnique({ where: { slug: plan.slug } });
    if (!existing) {
      const id = prefixedId('plan');
      await prisma.plan.create({ data: { id, slug: plan.slug, ...data } });
      await prisma.consumerGroup.create({ data: { id: prefixedId('cgrp'), name: plan.name, planId: id } });
    }
  }

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
    const plan = await prisma.plan.findUniqueOrThrow({
      where: { slug: demoApi.demoPlanSlug },
      include: { group: true },
    });
    const key = generateApiKey();
    const consumerId = prefixedId('cons');
    await prisma.$transaction([
      prisma.consumer.create({
        data: {
          id: consumerId,
          name: 'Demo developer',
          email: 'demo@example.com',
          timeZone: 'UTC',
          groupId: plan.group?.id ?? null,
        },
      }),
      prisma.subscription.create({
        data: {
          id: prefixedId('sub'),
          consumerId,
          planId: plan.id,
          planVersion: plan.version,
          status: 'active',
          periodAnchor: new Date(),
        },
      }),
      prisma.apiKey.create({
        data: {
          id: prefixedId('key'),
          consumerId,
          hash: key.hash,
          displayPrefix: key.displayPrefix,
          name: 'demo',
        },
      }),
    ]);
    demoConsumerId = consumerId;
    demoKey = key.secret;
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
