import { createHash } from 'node:crypto';
import { appendAudit } from '@tollgate/plans-data';
import { ConflictError, ValidationError } from '@tollgate/errors';
import { type Developer, Prisma } from '@tollgate/relational';
import { ensureDeveloperConsumer } from './developer-consumer';
import { type DeveloperView, developerView, newDeveloperId } from './developer-view';
import { hashPassword } from '@tollgate/plans-data';
import { type PortalClient, type PortalContext } from './portal-context';
import { type PasswordResetConfirmInput, type SignupInput } from './portal-inputs';
import { passwordResetLink, passwordResetMail, verificationLink, verificationMail } from './portal-mail';
import { signToken, verifyToken } from './signed-token';

export const verificationTokenTtlSeconds = 24 * 3600;
export const passwordResetTokenTtlSeconds = 3600;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** Ties a reset token to the password it replaces, so the token works once. */
function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16);
}

function expiry(ttlSeconds: number): number {
  return Math.floor(Date.now() / 1000) + ttlSeconds;
}

async function sendVerificationMail(context: PortalContext, developer: Developer): Promise<void> {
  const token = signToken(context.signingSecret, {
    sub: developer.id,
    purpose: 'verify-email',
    exp: expiry(verificationTokenTtlSeconds),
  });
  await context.mailer.send(
    verificationMail(developer.email, developer.name, verificationLink(context.publicUrl, token)),
  );
}

/**
 * Creates an unverified developer account and mails a signed 24-hour verification link. A taken
 * email is a ConflictError that says only that. If the mail cannot be sent the account is removed
 * again, so the developer can simply retry.
 */
export async function signupDeveloper(
  context: PortalContext,
  input: SignupInput,
  client: PortalClient,
): Promise<DeveloperView> {
  await context.limiter.consume('signupPerIp', { ip: client.ip });
  await context.limiter.consume('signupPerEmail', { email: input.email });
  const passwordHash = await hashPassword(input.password);
  let developer: Developer;
  try {
    developer = await context.prisma.developer.create({
      data: { id: newDeveloperId(), email: input.email, name: input.name, passwordHash },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('An account with this email already exists');
    throw error;
  }
  try {
    await sendVerificationMail(context, developer);
  } catch (error) {
    await context.prisma.developer.delete({ where: { id: developer.id } });
    throw error;
  }
  return developerView(developer);
}

/**
 * Marks the email verified and gives the developer their consumer on the default free plan.
 * Idempotent: following the link again changes nothing and answers the same.
 */
export async function verifyDeveloperEmail(
  context: Pick<PortalContext, 'prisma' | 'signingSecret'>,
  token: string,
): Promise<DeveloperView> {
  const claims = verifyToken(context.signingSecret, token, 'verify-email');
  return context.prisma.$transaction(async (tx) => {
    const found = await tx.developer.findUnique({ where: { id: claims.sub } });
    // A genuine token whose account has since been deleted.
    if (!found) throw new ValidationError([{ field: 'token', message: 'the link is invalid' }]);
    const developer = found.emailVerifiedAt
      ? found
      : await tx.developer.update({ where: { id: found.id }, data: { emailVerifiedAt: new Date() } });
    const consumer = await ensureDeveloperConsumer(tx, developer);
    if (!found.emailVerifiedAt) {
      await appendAudit(
        tx,
        { type: 'developer', id: developer.id },
        {
          action: 'developer.verify',
          entityType: 'consumer',
          entityId: consumer.id,
          after: { consumerId: consumer.id },
        },
      );
    }
    return developerView(developer);
  });
}

/** Mails a new verification link to an unverified account; silent for unknown or verified emails. */
export async function resendVerificationMail(
  context: PortalContext,
  email: string,
  client: PortalClient,
): Promise<void> {
  await context.limiter.consume('mailRequestPerIp', { ip: client.ip });
  await context.limiter.consume('mailRequestPerEmail', { email });
  const developer = await context.prisma.developer.findUnique({ where: { email } });
  if (developer && !developer.emailVerifiedAt) await sendVerificationMail(context, developer);
}

/**
 * Counts the request against the abuse limits, then returns the work that mails a reset link
 * (only when the account exists). The caller answers 202 without waiting for that work, so the
 * response time does not reveal whether the email is known.
 */
export async function requestPasswordReset(
  context: PortalContext,
  email: string,
  client: PortalClient,
): Promise<() => Promise<void>> {
  await context.limiter.consume('mailRequestPerIp', { ip: client.ip });
  await context.limiter.consume('mailRequestPerEmail', { email });
  return async () => {
    const developer = await context.prisma.developer.findUnique({ where: { email } });
    if (!developer) return;
    const token = signToken(context.signingSecret, {
      sub: developer.id,
      purpose: 'password-reset',
      exp: expiry(passwordResetTokenTtlSeconds),
      fp: passwordFingerprint(developer.passwordHash),
    });
    await context.mailer.send(
      passwordResetMail(developer.email, developer.name, passwordResetLink(context.publicUrl, token), token),
    );
  };
}

/** Sets the new password and ends every session of the developer; the token works once. */
export async function confirmPasswordReset(
  context: Pick<PortalContext, 'prisma' | 'signingSecret'>,
  input: PasswordResetConfirmInput,
): Promise<void> {
  const claims = verifyToken(context.signingSecret, input.token, 'password-reset');
  const used = new ValidationError([{ field: 'token', message: 'the link is invalid or was already used' }]);
  const developer = await context.prisma.developer.findUnique({ where: { id: claims.sub } });
  if (!developer || claims.fp !== passwordFingerprint(developer.passwordHash)) throw used;
  const passwordHash = await hashPassword(input.password);
  await context.prisma.$transaction(async (tx) => {
    // Conditional on the old hash: of two concurrent uses of one token, only one succeeds.
    const changed = await tx.developer.updateMany({
      where: { id: developer.id, passwordHash: developer.passwordHash },
      data: { passwordHash },
    });
    if (changed.count !== 1) throw used;
    await tx.session.deleteMany({ where: { subjectType: 'developer', subjectId: developer.id } });
  });
}
