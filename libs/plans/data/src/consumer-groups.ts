import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import { type ConsumerGroupCreate, type ConsumerGroupPatch } from '@tollgate/plans-domain';
import { type ConsumerGroup, type Prisma, type PrismaClient } from '@tollgate/relational';
import { appendAudit, type Actor } from './audit-log';

type Db = Prisma.TransactionClient;

export interface ConsumerGroupView {
  id: string;
  name: string;
  planId: string;
  consumers: number;
}

function groupView(group: ConsumerGroup & { _count: { consumers: number } }): ConsumerGroupView {
  return { id: group.id, name: group.name, planId: group.planId, consumers: group._count.consumers };
}

const withCount = { _count: { select: { consumers: true } } } satisfies Prisma.ConsumerGroupInclude;

async function readGroup(db: Db, groupId: string): Promise<ConsumerGroupView> {
  const group = await db.consumerGroup.findUnique({ where: { id: groupId }, include: withCount });
  if (!group) throw new NotFoundError('Consumer group', groupId);
  return groupView(group);
}

/** A plan has at most one group; a plan's group is created with the plan, so this is for recovery. */
export async function createConsumerGroup(
  prisma: PrismaClient,
  input: ConsumerGroupCreate,
  actor?: Actor,
): Promise<ConsumerGroupView> {
  return prisma.$transaction(async (tx) => {
    if (!(await tx.plan.findUnique({ where: { id: input.planId }, select: { id: true } }))) {
      throw new ValidationError([{ field: 'planId', message: `No plan ${input.planId}` }]);
    }
    const existing = await tx.consumerGroup.findUnique({
      where: { planId: input.planId },
      select: { id: true },
    });
    if (existing) {
      throw new ConflictError(`Plan ${input.planId} already has group ${existing.id}`, { field: 'planId' });
    }
    const id = prefixedId('cgrp');
    await tx.consumerGroup.create({ data: { id, name: input.name, planId: input.planId } });
    // Consumers subscribed to the plan belong to its group.
    await tx.consumer.updateMany({
      where: { subscriptions: { some: { planId: input.planId, status: { not: 'canceled' } } } },
      data: { groupId: id },
    });
    const view = await readGroup(tx, id);
    await appendAudit(tx, actor, {
      action: 'consumer_group.create',
      entityType: 'consumer_group',
      entityId: id,
      after: view,
    });
    return view;
  });
}

export async function listConsumerGroups(prisma: PrismaClient): Promise<ConsumerGroupView[]> {
  const groups = await prisma.consumerGroup.findMany({
    include: withCount,
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
  return groups.map(groupView);
}

export async function getConsumerGroup(prisma: PrismaClient, groupId: string): Promise<ConsumerGroupView> {
  return prisma.$transaction((tx) => readGroup(tx, groupId));
}

export async function patchConsumerGroup(
  prisma: PrismaClient,
  groupId: string,
  patch: ConsumerGroupPatch,
  actor?: Actor,
): Promise<ConsumerGroupView> {
  return prisma.$transaction(async (tx) => {
    const before = await readGroup(tx, groupId);
    await tx.consumerGroup.update({ where: { id: groupId }, data: patch });
    const after = await readGroup(tx, groupId);
    await appendAudit(tx, actor, {
      action: 'consumer_group.update',
      entityType: 'consumer_group',
      entityId: groupId,
      before,
      after,
    });
    return after;
  });
}

/** Only an empty group can go: its consumers take their limits from it. */
export async function deleteConsumerGroup(
  prisma: PrismaClient,
  groupId: string,
  actor?: Actor,
): Promise<ConsumerGroupView> {
  return prisma.$transaction(async (tx) => {
    const before = await readGroup(tx, groupId);
    if (before.consumers > 0) {
      throw new ConflictError(`Consumer group ${groupId} still has ${before.consumers} consumers`, {
        groupId,
      });
    }
    await tx.consumerGroup.delete({ where: { id: groupId } });
    await appendAudit(tx, actor, {
      action: 'consumer_group.delete',
      entityType: 'consumer_group',
      entityId: groupId,
      before,
    });
    return before;
  });
}
