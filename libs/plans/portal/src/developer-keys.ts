import { ConflictError } from '@tollgate/errors';
import {
  type ApiKeyView,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  type RotatedApiKey,
  rotateApiKey,
} from '@tollgate/plans-data';
import { type Developer, type PrismaClient } from '@tollgate/relational';
import { developerConsumer } from './developer-consumer';
import { type CreatePortalKeyInput } from './portal-inputs';

/** A developer holds at most this many usable keys at once (a runaway script cannot mint thousands). */
export const maxActiveKeysPerDeveloper = 20;

function actorOf(developer: Developer) {
  return { type: 'developer' as const, id: developer.id };
}

/** Every key operation is scoped to the developer's own consumer: another's key is "not found". */
export async function listDeveloperKeys(prisma: PrismaClient, developer: Developer): Promise<ApiKeyView[]> {
  const consumer = await developerConsumer(prisma, developer.id);
  return listApiKeys(prisma, consumer.id);
}

export async function createDeveloperKey(
  prisma: PrismaClient,
  developer: Developer,
  input: CreatePortalKeyInput,
): Promise<CreatedApiKey> {
  const consumer = await developerConsumer(prisma, developer.id);
  const active = await prisma.apiKey.count({
    where: {
      consumerId: consumer.id,
      revokedAt: null,
      OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
    },
  });
  if (active >= maxActiveKeysPerDeveloper) {
    throw new ConflictError(`At most ${maxActiveKeysPerDeveloper} active keys; revoke one first`, {
      limit: maxActiveKeysPerDeveloper,
    });
  }
  return createApiKey(
    prisma,
    { consumerId: consumer.id, name: input.name, expiresAt: input.expiresAt ?? null },
    actorOf(developer),
  );
}

export async function revokeDeveloperKey(
  prisma: PrismaClient,
  developer: Developer,
  keyId: string,
): Promise<ApiKeyView> {
  const consumer = await developerConsumer(prisma, developer.id);
  return revokeApiKey(prisma, keyId, { consumerId: consumer.id }, actorOf(developer));
}

export async function rotateDeveloperKey(
  prisma: PrismaClient,
  developer: Developer,
  keyId: string,
): Promise<RotatedApiKey> {
  const consumer = await developerConsumer(prisma, developer.id);
  return rotateApiKey(prisma, keyId, { consumerId: consumer.id }, actorOf(developer));
}
