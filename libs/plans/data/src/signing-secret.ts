import { randomBytes } from 'node:crypto';
import { type PrismaClient } from '@tollgate/relational';

const settingKey = 'signing_secret';

/**
 * The secret that signs verification and password-reset links: generated once, kept in the
 * database so every control-plane instance and every restart agrees on it.
 */
export async function ensureSigningSecret(prisma: PrismaClient): Promise<string> {
  const existing = await prisma.setting.findUnique({ where: { key: settingKey } });
  if (existing) return existing.value;
  const value = randomBytes(32).toString('base64url');
  // Two instances starting together: the first insert wins, both read it back.
  await prisma.setting.createMany({ data: [{ key: settingKey, value }], skipDuplicates: true });
  return (await prisma.setting.findUniqueOrThrow({ where: { key: settingKey } })).value;
}
