import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import {
  applyPlanPatch,
  definitionFromCreate,
  definitionsDiffer,
  planDefinition,
  planDefinitionColumns,
  slugify,
  storedPlanDefinition,
  type MigrateSubscribers,
  type PlanCreate,
  type PlanDefinition,
  type PastDuePolicy,
  type PlanPatch,
  type PlanTier,
} from '@tollgate/plans-domain';
import { type Plan, type Prisma, type PrismaClient } from '@tollgate/relational';
import { appendAudit, type Actor } from './audit-log';
import { planVersionId } from './record-ids';

export interface PlanView extends PlanDefinition {
  id: string;
  slug: string;
  name: string;
  tier: PlanTier;
  description: string | null;
  isPublic: boolean;
  archivedAt: string | null;
  /** The latest version; new subscribers get it. */
  version: number;
  groupId: string | null;
  /** Days a past-due subscription keeps the plan before `pastDuePolicy` applies (not versioned). */
  gracePeriodDays: number;
  pastDuePolicy: PastDuePolicy;
  createdAt: string;
  updatedAt: string;
}

export interface PlanVersionView {
  version: number;
  definition: PlanDefinition;
  createdAt: string;
  /** Live (not canceled) subscriptions on this version. */
  subscribers: number;
}

export interface PlanDetailView extends PlanView {
  versions: PlanVersionView[];
}

type Db = Prisma.TransactionClient;

export function planView(plan: Plan & { group?: { id: string } | null }): PlanView {
  return {
    id: plan.id,
    slug: plan.slug,
    name: plan.name,
    tier: plan.tier,
    description: plan.description,
    isPublic: plan.isPublic,
    archivedAt: plan.archivedAt?.toISOString() ?? null,
    version: plan.version,
    groupId: plan.group?.id ?? null,
    gracePeriodDays: plan.gracePeriodDays,
    pastDuePolicy: plan.pastDuePolicy,
    ...planDefinition(plan),
    createdAt: plan.createdAt.toISOString(),
    updatedAt: plan.updatedAt.toISOString(),
  };
}

async function uniqueSlug(db: Db, requested: string | undefined, name: string): Promise<string> {
  if (requested) {
    if (await db.plan.findUnique({ where: { slug: requested }, select: { id: true } })) {
      throw new ConflictError(`A plan with slug "${requested}" already exists`, { field: 'slug' });
    }
    return requested;
  }
  const base = slugify(name);
  const taken = new Set(
    (await db.plan.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } })).map(
      (plan) => plan.slug,
    ),
  );
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${base}-${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

async function readPlanDetail(db: Db, planId: string): Promise<PlanDetailView> {
  const plan = await db.plan.findUnique({
    where: { id: planId },
    include: { group: { select: { id: true } }, versions: { orderBy: { version: 'desc' } } },
  });
  if (!plan) throw new NotFoundError('Plan', planId);
  const counts = await db.subscription.groupBy({
    by: ['planVersion'],
    where: { planId, status: { not: 'canceled' } },
    _count: { _all: true },
  });
  const byVersion = new Map(counts.map((row) => [row.planVersion, row._count._all]));
  return {
    ...planView(plan),
    versions: plan.versions.map((version) => ({
      version: version.version,
      definition: storedPlanDefinition(version.definition),
      createdAt: version.createdAt.toISOString(),
      subscribers: byVersion.get(version.version) ?? 0,
    })),
  };
}

/** Creates a plan with its version 1 and its consumer group (one group per plan). */
export async function createPlan(
  prisma: PrismaClient,
  input: PlanCreate,
  actor?: Actor,
): Promise<PlanDetailView> {
  const definition = definitionFromCreate(input);
  return prisma.$transaction(async (tx) => {
    const slug = await uniqueSlug(tx, input.slug, input.name);
    const id = prefixedId('plan');
    await tx.plan.create({
      data: {
        id,
        slug,
        name: input.name,
        tier: input.tier,
        description: input.description,
        isPublic: input.isPublic,
        gracePeriodDays: input.gracePeriodDays,
        pastDuePolicy: input.pastDuePolicy,
        version: 1,
        ...planDefinitionColumns(definition),
        prices: definition.prices as unknown as Prisma.InputJsonValue,
        meters: definition.meters as unknown as Prisma.InputJsonValue,
      },
    });
    await tx.planVersion.create({
      data: {
        id: planVersionId(),
        planId: id,
        version: 1,
        definition: definition as unknown as Prisma.InputJsonValue,
      },
    });
    await tx.consumerGroup.create({ data: { id: prefixedId('cgrp'), name: input.name, planId: id } });
    const view = await readPlanDetail(tx, id);
    await appendAudit(tx, actor, { action: 'plan.create', entityType: 'plan', entityId: id, after: view });
    return view;
  });
}

export async function listPlans(
  prisma: PrismaClient,
  filter: { includeArchived?: boolean } = {},
): Promise<PlanView[]> {
  const plans = await prisma.plan.findMany({
    where: filter.includeArchived === false ? { archivedAt: null } : {},
    include: { group: { select: { id: true } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return plans.map(planView);
}

export async function getPlan(prisma: PrismaClient, planId: string): Promise<PlanDetailView> {
  return prisma.$transaction((tx) => readPlanDetail(tx, planId));
}

/** Live subscriptions that are on `version` now or are scheduled to move to it. */
async function subscribersOfVersion(db: Db, planId: string, version: number): Promise<number> {
  return db.subscription.count({
    where: {
      status: { not: 'canceled' },
      OR: [
        { planId, planVersion: version },
        { pendingPlanId: planId, pendingPlanVersion: version },
      ],
    },
  });
}

/**
 * Edits a plan. A change to the definition while someone subscribes to the current version creates
 * version N+1 (those subscribers stay on N until migrated); otherwise the current version is
 * rewritten in place. Presentation fields (name, description, tier, visibility) and the dunning
 * policy (grace period, past-due policy) never version.
 */
export async function patchPlan(
  prisma: PrismaClient,
  planId: string,
  patch: PlanPatch,
  actor?: Actor,
): Promise<PlanDetailView & { versionCreated: boolean }> {
  return prisma.$transaction(async (tx) => {
    const before = await readPlanDetail(tx, planId);
    const plan = await tx.plan.findUniqueOrThrow({ where: { id: planId } });
    const current = planDefinition(plan);
    const next = applyPlanPatch(current, patch);
    const changed = definitionsDiffer(current, next);
    let version = plan.version;
    let versionCreated = false;
    if (changed) {
      const definitionJson = next as unknown as Prisma.InputJsonValue;
      if ((await subscribersOfVersion(tx, planId, plan.version)) > 0) {
        version = plan.version + 1;
        versionCreated = true;
        await tx.planVersion.create({
          data: { id: planVersionId(), planId, version, definition: definitionJson },
        });
      } else {
        await tx.planVersion.upsert({
          where: { planId_version: { planId, version } },
          create: { id: planVersionId(), planId, version, definition: definitionJson },
          update: { definition: definitionJson },
        });
      }
    }
    if (patch.slug !== undefined && patch.slug !== plan.slug) await uniqueSlug(tx, patch.slug, plan.name);
    await tx.plan.update({
      where: { id: planId },
      data: {
        name: patch.name,
        slug: patch.slug,
        tier: patch.tier,
        description: patch.description,
        isPublic: patch.isPublic,
        gracePeriodDays: patch.gracePeriodDays,
        pastDuePolicy: patch.pastDuePolicy,
        archivedAt:
          patch.archived === undefined ? undefined : patch.archived ? (plan.archivedAt ?? new Date()) : null,
        version,
        ...planDefinitionColumns(next),
        prices: next.prices as unknown as Prisma.InputJsonValue,
        meters: next.meters as unknown as Prisma.InputJsonValue,
      },
    });
    if (patch.name !== undefined) {
      // The group mirrors its plan's name unless an admin renamed it.
      await tx.consumerGroup.updateMany({ where: { planId, name: plan.name }, data: { name: patch.name } });
    }
    const after = await readPlanDetail(tx, planId);
    await appendAudit(tx, actor, {
      action: 'plan.update',
      entityType: 'plan',
      entityId: planId,
      before,
      after,
    });
    return { ...after, versionCreated };
  });
}

export interface MigrationResult {
  planId: string;
  toVersion: number;
  effectiveAt: string;
  /** true when the move is scheduled for later (pending on each subscription). */
  scheduled: boolean;
  subscriptions: number;
}

/** Moves a plan's live subscribers to one of its versions, now or at `effectiveAt`. */
export async function migrateSubscribers(
  prisma: PrismaClient,
  planId: string,
  input: MigrateSubscribers,
  actor?: Actor,
  now = new Date(),
): Promise<MigrationResult> {
  return prisma.$transaction(async (tx) => {
    const plan = await tx.plan.findUnique({ where: { id: planId }, select: { id: true } });
    if (!plan) throw new NotFoundError('Plan', planId);
    const target = await tx.planVersion.findUnique({
      where: { planId_version: { planId, version: input.toVersion } },
      select: { version: true },
    });
    if (!target)
      throw new ValidationError([
        { field: 'toVersion', message: `Plan ${planId} has no version ${input.toVersion}` },
      ]);
    const effectiveAt = input.effectiveAt ?? now;
    const scheduled = effectiveAt.getTime() > now.getTime();
    const where: Prisma.SubscriptionWhereInput = {
      planId,
      status: { not: 'canceled' },
      planVersion: input.fromVersion ?? { not: input.toVersion },
    };
    const result = scheduled
      ? await tx.subscription.updateMany({
          where,
          data: {
            pendingPlanId: planId,
            pendingPlanVersion: input.toVersion,
            pendingEffectiveAt: effectiveAt,
          },
        })
      : await tx.subscription.updateMany({
          where,
          data: {
            planVersion: input.toVersion,
            pendingPlanId: null,
            pendingPlanVersion: null,
            pendingEffectiveAt: null,
          },
        });
    const outcome: MigrationResult = {
      planId,
      toVersion: input.toVersion,
      effectiveAt: effectiveAt.toISOString(),
      scheduled,
      subscriptions: result.count,
    };
    await appendAudit(tx, actor, {
      action: 'plan.migrate_subscribers',
      entityType: 'plan',
      entityId: planId,
      after: { ...outcome, fromVersion: input.fromVersion ?? null },
    });
    return outcome;
  });
}

/** Plans written before versions existed get a row for their current version (idempotent). */
export async function backfillPlanVersions(prisma: PrismaClient): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const missing = await tx.plan.findMany({ where: { versions: { none: {} } } });
    for (const plan of missing) {
      await tx.planVersion.create({
        data: {
          id: planVersionId(),
          planId: plan.id,
          version: plan.version,
          definition: planDefinition(plan) as unknown as Prisma.InputJsonValue,
        },
      });
      if (!(await tx.consumerGroup.findUnique({ where: { planId: plan.id }, select: { id: true } }))) {
        await tx.consumerGroup.create({ data: { id: prefixedId('cgrp'), name: plan.name, planId: plan.id } });
      }
    }
    return missing.length;
  });
}
