import { UnauthenticatedError } from '@tollgate/errors';
import { randomToken, sha256Hex } from '@tollgate/ids';
import { type AdminLogin, type AdminRoleName } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { appendAudit } from './audit-log';
import { verifyAgainstDummy, verifyPassword } from './password-hashing';
import { sessionId } from './record-ids';

export const adminSessionTtlMs = 12 * 3600 * 1000;

export interface AdminSession {
  /** Bearer token for the admin API; only its SHA-256 is stored. */
  token: string;
  expiresAt: string;
  role: AdminRoleName;
}

export interface AdminPrincipal {
  userId: string;
  role: AdminRoleName;
}

const invalid = 'Invalid email or password';

/** Email + password → a 12 h bearer token. The answer never says whether the email exists. */
export async function loginAdmin(
  prisma: PrismaClient,
  input: AdminLogin,
  now = Date.now(),
): Promise<AdminSession> {
  const user = await prisma.adminUser.findUnique({ where: { email: input.email } });
  if (!user) {
    await verifyAgainstDummy(input.password);
    throw new UnauthenticatedError(invalid);
  }
  const valid = await verifyPassword(input.password, user.passwordHash);
  if (!valid || user.disabledAt) throw new UnauthenticatedError(invalid);
  const token = `tg_adm_${randomToken(40)}`;
  const expiresAt = new Date(now + adminSessionTtlMs);
  await prisma.$transaction(async (tx) => {
    await tx.session.create({
      data: {
        id: sessionId(),
        tokenHash: sha256Hex(token),
        subjectType: 'admin',
        subjectId: user.id,
        expiresAt,
      },
    });
    // Expired sessions of this user go on each login, so the table does not grow without bound.
    await tx.session.deleteMany({
      where: { subjectType: 'admin', subjectId: user.id, expiresAt: { lte: new Date(now) } },
    });
    await appendAudit(
      tx,
      { type: 'admin_user', id: user.id },
      {
        action: 'admin_session.create',
        entityType: 'admin_user',
        entityId: user.id,
      },
    );
  });
  return { token, expiresAt: expiresAt.toISOString(), role: user.role };
}

/** The admin user a session token belongs to, or null when it is unknown, expired or the user is disabled. */
export async function authenticateAdminSession(
  prisma: PrismaClient,
  token: string,
  now = Date.now(),
): Promise<AdminPrincipal | null> {
  const session = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!session || session.subjectType !== 'admin' || session.expiresAt.getTime() <= now) return null;
  const user = await prisma.adminUser.findUnique({ where: { id: session.subjectId } });
  if (!user || user.disabledAt) return null;
  return { userId: user.id, role: user.role };
}

/** Ends the session of this token (no error when it is already gone). */
export async function logoutAdmin(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.session.deleteMany({ where: { tokenHash: sha256Hex(token), subjectType: 'admin' } });
}
