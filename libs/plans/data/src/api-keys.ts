import { ConflictError, NotFoundError, ValidationError } from '@tollgate/errors';
import { generateApiKey, prefixedId } from '@tollgate/ids';
import { type ApiKey, type PrismaClient } from '@tollgate/relational';
import { appendAudit, type Actor } from './audit-log';

/** What may be shown about a key after its creation: never the secret, never its hash. */
export interface ApiKeyView {
  id: string;
  consumerId: string;
  prefix: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  replacedById: string | null;
  createdAt: string;
}

/** The one response that carries the secret (`key`), at creation or rotation. */
export interface CreatedApiKey {
  id: string;
  consumerId: string;
  key: string;
  prefix: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
}

export interface RotatedApiKey extends CreatedApiKey {
  previousKeyId: string;
  /** The old key keeps working until then (the overlap window). */
  previousKeyExpiresAt: string;
}

export interface CreateApiKeyInput {
  consumerId: string;
  name?: string;
  scopes?: string[];
  expiresAt?: Date | null;
}

export const defaultRotationOverlapSeconds = 86_400;

export function apiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    consumerId: key.consumerId,
    prefix: key.displayPrefix,
    name: key.name,
    scopes: key.scopes,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    replacedById: key.replacedById,
    createdAt: key.createdAt.toISOString(),
  };
}

function createdView(key: ApiKey, secret: string): CreatedApiKey {
  const { id, consumerId, prefix, name, scopes, expiresAt, createdAt } = apiKeyView(key);
  return { id, consumerId, key: secret, prefix, name, scopes, expiresAt, createdAt };
}

/** Creates a key for a consumer; the returned `key` is the only time the secret exists outside the caller. */
export async function createApiKey(
  prisma: PrismaClient,
  input: CreateApiKeyInput,
  actor?: Actor,
): Promise<CreatedApiKey> {
  const now = Date.now();
  if (input.expiresAt && input.expiresAt.getTime() <= now) {
    throw new ValidationError([{ field: 'expiresAt', message: 'Must be in the future' }]);
  }
  const generated = generateApiKey();
  return prisma.$transaction(async (tx) => {
    const consumer = await tx.consumer.findUnique({ where: { id: input.consumerId }, select: { id: true } });
    if (!consumer) throw new NotFoundError('Consumer', input.consumerId);
    const key = await tx.apiKey.create({
      data: {
        id: prefixedId('key'),
        consumerId: input.consumerId,
        hash: generated.hash,
        displayPrefix: generated.displayPrefix,
        name: input.name ?? 'default',
        scopes: [...new Set(input.scopes ?? [])],
        expiresAt: input.expiresAt ?? null,
      },
    });
    await appendAudit(tx, actor, {
      action: 'api_key.create',
      entityType: 'api_key',
      entityId: key.id,
      after: apiKeyView(key),
    });
    return createdView(key, generated.secret);
  });
}

/** A consumer's keys, newest first, without secrets. */
export async function listApiKeys(prisma: PrismaClient, consumerId: string): Promise<ApiKeyView[]> {
  const consumer = await prisma.consumer.findUnique({ where: { id: consumerId }, select: { id: true } });
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  const keys = await prisma.apiKey.findMany({
    where: { consumerId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return keys.map(apiKeyView);
}

export interface ApiKeyScope {
  /** When given, the key must belong to this consumer; otherwise it is reported as not found. */
  consumerId?: string;
}

/** Revokes a key at once; revoking a revoked key returns it unchanged. */
export async function revokeApiKey(
  prisma: PrismaClient,
  keyId: string,
  scope: ApiKeyScope = {},
  actor?: Actor,
): Promise<ApiKeyView> {
  return prisma.$transaction(async (tx) => {
    const key = await tx.apiKey.findUnique({ where: { id: keyId } });
    // Another consumer's key is "not found", never "forbidden": its existence is not revealed.
    if (!key || (scope.consumerId !== undefined && key.consumerId !== scope.consumerId)) {
      throw new NotFoundError('API key', keyId);
    }
    if (key.revokedAt) return apiKeyView(key);
    const revoked = await tx.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
    await appendAudit(tx, actor, {
      action: 'api_key.revoke',
      entityType: 'api_key',
      entityId: keyId,
      before: apiKeyView(key),
      after: apiKeyView(revoked),
    });
    return apiKeyView(revoked);
  });
}

export interface RotateApiKeyOptions extends ApiKeyScope {
  /** How long the old key keeps working, default one day. */
  overlapSeconds?: number;
}

/**
 * Replaces a key with a new secret (same name, scopes and expiry). The old key stays valid for the
 * overlap window so clients can switch without downtime, then expires.
 */
export async function rotateApiKey(
  prisma: PrismaClient,
  keyId: string,
  options: RotateApiKeyOptions = {},
  actor?: Actor,
): Promise<RotatedApiKey> {
  const overlapSeconds = options.overlapSeconds ?? defaultRotationOverlapSeconds;
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > 30 * 86_400) {
    throw new ValidationError([
      { field: 'overlapSeconds', message: 'Must be an integer between 0 and 2592000 (30 days)' },
    ]);
  }
  const generated = generateApiKey();
  return prisma.$transaction(async (tx) => {
    const old = await tx.apiKey.findUnique({ where: { id: keyId } });
    if (!old || (options.consumerId !== undefined && old.consumerId !== options.consumerId)) {
      throw new NotFoundError('API key', keyId);
    }
    const now = Date.now();
    if (old.revokedAt) throw new ConflictError(`API key ${keyId} is revoked`, { keyId });
    if (old.replacedById) {
      throw new ConflictError(`API key ${keyId} was already rotated`, {
        keyId,
        replacedById: old.replacedById,
      });
    }
    if (old.expiresAt && old.expiresAt.getTime() <= now) {
      throw new ConflictError(`API key ${keyId} has expired`, { keyId });
    }
    const overlapEnd = now + overlapSeconds * 1000;
    // The overlap only ever shortens the old key's life.
    const previousKeyExpiresAt = new Date(
      old.expiresAt ? Math.min(old.expiresAt.getTime(), overlapEnd) : overlapEnd,
    );
    const created = await tx.apiKey.create({
      data: {
        id: prefixedId('key'),
        consumerId: old.consumerId,
        hash: generated.hash,
        displayPrefix: generated.displayPrefix,
        name: old.name,
        scopes: old.scopes,
        expiresAt: old.expiresAt,
      },
    });
    const replaced = await tx.apiKey.update({
      where: { id: keyId },
      data: { replacedById: created.id, expiresAt: previousKeyExpiresAt },
    });
    await appendAudit(tx, actor, {
      action: 'api_key.rotate',
      entityType: 'api_key',
      entityId: keyId,
      before: apiKeyView(old),
      after: { previous: apiKeyView(replaced), replacement: apiKeyView(created) },
    });
    return {
      ...createdView(created, generated.secret),
      previousKeyId: keyId,
      previousKeyExpiresAt: previousKeyExpiresAt.toISOString(),
    };
  });
}
