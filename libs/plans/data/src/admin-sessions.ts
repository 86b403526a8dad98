import { UnauthenticatedError } from '@tollgate/errors';
import { randomToken, sha256Hex } from '@tollgate/ids';
import { type AdminLogin, type AdminRoleName } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { type AdminTokens, bootstrapSessionSubjectPrefix } from './admin-tokens';
import { type Actor, appendAudit } from './audit-log';
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
  // Expired sessions of this user go on each login, so the table does not grow without bound.
  const session = await openAdminSession(prisma, {
    subjectId: user.id,
    expiredSubjects: user.id,
    actor: { type: 'admin_user', id: user.id },
    entity: { entityType: 'admin_user', entityId: user.id },
    now,
  });
  return { ...session, role: user.role };
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
  const session = await openAdminSession(prisma, {
    subjectId: adminTokens.sessionSubjectOf(bootstrapToken),
    expiredSubjects: { startsWith: bootstrapSessionSubjectPrefix },
    actor: { type: 'admin_token', id: 'bootstrap' },
    entity: { entityType: 'admin_token', entityId: 'bootstrap' },
    now,
  });
  return { ...session, role: 'owner' };
}

/**
 * A new admin session for `subjectId` (token returned once, its hash stored), the expired sessions
 * of `expiredSubjects` removed, and the sign-in audited — in one transaction.
 */
async function openAdminSession(
  prisma: PrismaClient,
  options: {
    subjectId: string;
    expiredSubjects: string | { startsWith: string };
    actor: Actor;
    entity: { entityType: string; entityId: string };
    now: number;
  },
): Promise<{ token: string; expiresAt: string }> {
  const token = `tg_adm_${randomToken(40)}`;
  const expiresAt = new Date(options.now + adminSessionTtlMs);
  await prisma.$transaction(async (tx) => {
    await tx.session.create({
      data: {
        id: sessionId(),
        tokenHash: sha256Hex(token),
        subjectType: 'admin',
        subjectId: options.subjectId,
        expiresAt,
      },
    });
    await tx.session.deleteMany({
      where: {
        subjectType: 'admin',
        subjectId: options.expiredSubjects,
        expiresAt: { lte: new Date(options.now) },
      },
    });
    await appendAudit(tx, options.actor, { action: 'admin_session.create', ...options.entity });
  });
  return { token, expiresAt: expiresAt.toISOString() };
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
