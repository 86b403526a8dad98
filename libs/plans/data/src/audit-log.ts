import { randomToken } from '@tollgate/ids';
import { Prisma, type PrismaClient } from '@tollgate/relational';

/** Who performed a write: the bootstrap admin token, an admin user, or a developer in the portal. */
export interface Actor {
  type: 'admin_token' | 'admin_user' | 'developer' | 'system';
  id: string;
}

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  /** When it happened, if not now (a job running on an injected clock). */
  at?: Date;
}

export interface AuditLogView {
  id: string;
  actorType: string;
  actorId: string;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  createdAt: string;
}

/** Dates and other JSON-unfriendly values as they would be serialized over HTTP. */
function asJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

/** Appends one audit row; call it with the transaction client of the write it records. */
export async function appendAudit(
  tx: Prisma.TransactionClient,
  actor: Actor | undefined,
  entry: AuditEntry,
): Promise<void> {
  if (!actor) return;
  await tx.auditLog.create({
    data: {
      // Time-ordered so listing by id is listing by time.
      id: `aud_${Date.now().toString(36).padStart(9, '0')}${randomToken(12)}`,
      actorType: actor.type,
      actorId: actor.id,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: asJson(entry.before),
      after: asJson(entry.after),
      ...(entry.at ? { createdAt: entry.at } : {}),
    },
  });
}

export interface AuditLogPage {
  items: AuditLogView[];
  nextCursor: string | null;
}

export interface AuditLogFilter {
  entityType?: string;
  entityId?: string;
  limit: number;
  /** The last id of the previous page. */
  cursor?: string;
}

/** Newest first (ids sort by time). */
export async function listAuditLog(prisma: PrismaClient, filter: AuditLogFilter): Promise<AuditLogPage> {
  const rows = await prisma.auditLog.findMany({
    where: {
      ...(filter.entityType ? { entityType: filter.entityType } : {}),
      ...(filter.entityId ? { entityId: filter.entityId } : {}),
      ...(filter.cursor ? { id: { lt: filter.cursor } } : {}),
    },
    orderBy: { id: 'desc' },
    take: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      actorType: row.actorType,
      actorId: row.actorId,
      action: row.action,
      entityType: row.entityType,
      entityId: row.entityId,
      before: row.before,
      after: row.after,
      createdAt: row.createdAt.toISOString(),
    })),
    nextCursor: rows.length > filter.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}
