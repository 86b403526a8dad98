import { randomBytes } from 'node:crypto';
import { ForbiddenError, UnauthenticatedError } from '@tollgate/errors';
import { sha256Hex } from '@tollgate/ids';
import { type Developer, type PrismaClient } from '@tollgate/relational';
import { type DeveloperView, developerView, newSessionId } from './developer-view';
import { verifyAgainstDummy, verifyPassword } from '@tollgate/plans-data';
import { type PortalClient, type PortalContext } from './portal-context';
import { type LoginInput } from './portal-inputs';

export const sessionTtlSeconds = 7 * 24 * 3600;

export interface StartedSession {
  developer: DeveloperView;
  /** The cookie value: 256 random bits, stored only as its SHA-256. */
  token: string;
  expiresAt: Date;
}

/** One answer for an unknown email and a wrong password, so neither is distinguishable. */
function badCredentials(): UnauthenticatedError {
  return new UnauthenticatedError('The email or password is incorrect');
}

/**
 * Checks the password (a dummy hash when the email is unknown, so both take as long), then opens a
 * 7-day session. Every attempt counts per IP; failures count per account.
 */
export async function loginDeveloper(
  context: PortalContext,
  input: LoginInput,
  client: PortalClient,
): Promise<StartedSession> {
  await context.limiter.consume('loginPerIp', { ip: client.ip });
  await context.limiter.assertAllowed('loginFailuresPerAccount', { email: input.email });
  const developer = await context.prisma.developer.findUnique({ where: { email: input.email } });
  const matches = developer
    ? await verifyPassword(input.password, developer.passwordHash)
    : await verifyAgainstDummy(input.password);
  if (!developer || !matches) {
    await context.limiter.record('loginFailuresPerAccount', { email: input.email });
    throw badCredentials();
  }
  if (!developer.emailVerifiedAt) {
    throw new ForbiddenError('Verify your email first: follow the link in the mail we sent you');
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + sessionTtlSeconds * 1000);
  // Expired sessions of this developer are swept here rather than by a job.
  await context.prisma.session.deleteMany({
    where: { subjectType: 'developer', subjectId: developer.id, expiresAt: { lte: new Date() } },
  });
  await context.prisma.session.create({
    data: {
      id: newSessionId(),
      tokenHash: sha256Hex(token),
      subjectType: 'developer',
      subjectId: developer.id,
      expiresAt,
    },
  });
  return { developer: developerView(developer), token, expiresAt };
}

/** The verified developer a session cookie belongs to, or undefined for anything else. */
export async function developerOfSession(
  prisma: PrismaClient,
  token: string,
): Promise<Developer | undefined> {
  const session = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!session || session.subjectType !== 'developer' || session.expiresAt.getTime() <= Date.now()) {
    return undefined;
  }
  const developer = await prisma.developer.findUnique({ where: { id: session.subjectId } });
  return developer?.emailVerifiedAt ? developer : undefined;
}

/** Ends one session; unknown tokens are ignored (logging out twice is fine). */
export async function logoutDeveloper(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.session.deleteMany({ where: { tokenHash: sha256Hex(token), subjectType: 'developer' } });
}
