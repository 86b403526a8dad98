import { ConflictError, NotFoundError } from '@tollgate/errors';
import { prefixedId } from '@tollgate/ids';
import { type AdminRoleName, type AdminUserCreate, type AdminUserPatch } from '@tollgate/plans-domain';
import { type AdminUser, type Prisma, type PrismaClient } from '@tollgate/relational';
import { appendAudit, type Actor } from './audit-log';
import { hashPassword } from './password-hashing';

type Db = Prisma.TransactionClient;

export interface AdminUserView {
  id: string;
  email: string;
  name: string;
  role: AdminRoleName;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function adminUserView(user: AdminUser): AdminUserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    disabledAt: user.disabledAt?.toISOString() ?? null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

async function readUser(db: Db, userId: string): Promise<AdminUser> {
  const user = await db.adminUser.findUnique({ where: { id: userId } });
  if (!user) throw new NotFoundError('Admin user', userId);
  return user;
}

export async function createAdminUser(
  prisma: PrismaClient,
  input: AdminUserCreate,
  actor?: Actor,
): Promise<AdminUserView> {
  // Hash outside the transaction: it takes tens of milliseconds and PGlite has one connection.
  const passwordHash = await hashPassword(input.password);
  return prisma.$transaction(async (tx) => {
    if (await tx.adminUser.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new ConflictError('An admin user with this email already exists', { field: 'email' });
    }
    const user = await tx.adminUser.create({
      data: { id: prefixedId('adm'), email: input.email, name: input.name, role: input.role, passwordHash },
    });
    const view = adminUserView(user);
    await appendAudit(tx, actor, {
      action: 'admin_user.create',
      entityType: 'admin_user',
      entityId: user.id,
      after: view,
    });
    return view;
  });
}

export async function listAdminUsers(prisma: PrismaClient): Promise<AdminUserView[]> {
  const users = await prisma.adminUser.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return users.map(adminUserView);
}

export async function getAdminUser(prisma: PrismaClient, userId: string): Promise<AdminUserView> {
  return adminUserView(await prisma.$transaction((tx) => readUser(tx, userId)));
}

/** Role, name, password or disabled state; never leaves the installation without an active owner user
 * once it has had one (the bootstrap token remains an owner regardless). */
export async function patchAdminUser(
  prisma: PrismaClient,
  userId: string,
  patch: AdminUserPatch,
  actor?: Actor,
): Promise<AdminUserView> {
  const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
  return prisma.$transaction(async (tx) => {
    const before = await readUser(tx, userId);
    const losesOwner =
      before.role === 'owner' &&
      before.disabledAt === null &&
      ((patch.role !== undefined && patch.role !== 'owner') || patch.disabled === true);
    if (losesOwner) {
      const otherOwners = await tx.adminUser.count({
        where: { role: 'owner', disabledAt: null, id: { not: userId } },
      });
      if (otherOwners === 0)
        throw new ConflictError('The last active owner cannot be demoted or disabled', { userId });
    }
    const user = await tx.adminUser.update({
      where: { id: userId },
      data: {
        name: patch.name,
        role: patch.role,
        passwordHash,
        disabledAt:
          patch.disabled === undefined
            ? undefined
            : patch.disabled
              ? (before.disabledAt ?? new Date())
              : null,
      },
    });
    // A disabled user, a new password or a new role ends existing sessions: they were granted under the old terms.
    if (
      patch.disabled === true ||
      passwordHash !== undefined ||
      (patch.role !== undefined && patch.role !== before.role)
    ) {
      await tx.session.deleteMany({ where: { subjectType: 'admin', subjectId: userId } });
    }
    const after = adminUserView(user);
    await appendAudit(tx, actor, {
      action: 'admin_user.update',
      entityType: 'admin_user',
      entityId: userId,
      before: adminUserView(before),
      after,
    });
    return after;
  });
}
