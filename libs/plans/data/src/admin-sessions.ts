import { UnauthenticatedError } from '@tollgate/errors';
import { randomToken, sha256Hex } from '@tollgate/ids';
import { type AdminLogin, type AdminRoleName } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { type AdminTokens, bootstrapSessionSubjectPrefix } from './admin-tokens';
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

/** What a live admin session stands for: an admin user, or a sign-in with the bootstrap token (owner). */
export type AdminSessionHolder =
  | { kind: 'user'; userId: string; role: AdminRoleName; expiresAt: string }
  | { kind: 'bootstrap'; role: 'owner'; expiresAt: string };

/**
 * The bootstrap admin token (verified by the caller) → a 12 h owner session of its own, so a
 * browser keeps a revocable session instead of the token. A new bootstrap token ends these sessions.
 */
export async function openBootstrapAdminSession(
  prisma: PrismaClient,
  adminTokens: AdminTokens,
  bootstrapToken: string,
  now = Date.now(),
): Promise<AdminSession> {
  const token = `tg_adm_${randomToken(40)}`;
  const expiresAt = new Date(now + adminSessionTtlMs);
  await prisma.$transaction(async (tx) => {
    await tx.session.create({
      data: {
        id: sessionId(),
        tokenHash: sha256Hex(token),
        subjectType: 'admin',
        subjectId: adminTokens.sessionSubjectOf(bootstrapToken),
        expiresAt,
      },
    });
    await tx.session.deleteMany({
      where: {
        subjectType: 'admin',
        subjectId: { startsWith: bootstrapSessionSubjectPrefix },
        expiresAt: { lte: new Date(now) },
      },
    });
    await appendAudit(
      tx,
      { type: 'admin_token', id: 'bootstrap' },
      { action: 'admin_session.create', entityType: 'admin_token', entityId: 'bootstrap' },
    );
  });
  return { token, expiresAt: expiresAt.toISOString(), role: 'owner' };
}

/**
 * The holder of a session token (an admin user's or a bootstrap sign-in's), or null when it is
 * unknown, expired, its user is disabled or its bootstrap token has been replaced.
 */
export async function resolveAdminSession(
  prisma: PrismaClient,
  adminTokens: AdminTokens,
  token: string,
  now = Date.now(),
): Promise<AdminSessionHolder | null> {
  const session = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!session || session.subjectType !== 'admin' || session.expiresAt.getTime() <= now) return null;
  const expiresAt = session.expiresAt.toISOString();
  if (session.subjectId.startsWith(bootstrapSessionSubjectPrefix)) {
    const current = await adminTokens.isCurrentSessionSubject(session.subjectId);
    return current ? { kind: 'bootstrap', role: 'owner', expiresAt } : null;
  }
  const user = await prisma.adminUser.findUnique({ where: { id: session.subjectId } });
  if (!user || user.disabledAt) return null;
  return { kind: 'user', userId: user.id, role: user.role, expiresAt };
}

/** Who an admin user is, for the console's header; null when the user is gone. */
export async function adminSessionUser(
  prisma: PrismaClient,
  userId: string,
): Promise<{ id: string; email: string; name: string } | null> {
  return prisma.adminUser.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true },
  });
}

/** Ends the session of this token (no error when it is already gone). */
export async function logoutAdmin(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.session.deleteMany({ where: { tokenHash: sha256Hex(token), subjectType: 'admin' } });
}
