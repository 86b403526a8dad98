import { digestsEqual, randomToken, sha256Hex } from '@tollgate/ids';
import { type PrismaClient } from '@tollgate/relational';

const settingKey = 'admin_token_sha256';

/** Subjects of sessions opened with the bootstrap token start with this; admin user ids never do. */
export const bootstrapSessionSubjectPrefix = 'bootstrap:';

function bootstrapSubjectOfHash(tokenHash: string): string {
  return `${bootstrapSessionSubjectPrefix}${sha256Hex(`admin-session:${tokenHash}`).slice(0, 32)}`;
}

/** The bootstrap admin token: only its SHA-256 is stored; ADMIN_TOKEN from the environment also works. */
export class AdminTokens {
  private cachedHash: string | null | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly environmentToken?: string,
  ) {}

  /** Creates a token when none exists yet; returns it only when it was created now. */
  async ensure(): Promise<string | null> {
    if (this.environmentToken) return null;
    const existing = await this.prisma.setting.findUnique({ where: { key: settingKey } });
    if (existing) return null;
    const token = `tg_admin_${randomToken(40)}`;
    await this.prisma.setting.create({ data: { key: settingKey, value: sha256Hex(token) } });
    this.cachedHash = sha256Hex(token);
    return token;
  }

  async verify(token: string): Promise<boolean> {
    const presented = sha256Hex(token);
    if (this.environmentToken && digestsEqual(presented, sha256Hex(this.environmentToken))) return true;
    const stored = await this.storedHash();
    return typeof stored === 'string' && digestsEqual(presented, stored);
  }

  /**
   * The session subject of sessions opened with this (verified) token: derived from the token's
   * hash, so a session names the token it came from without holding anything that would sign in.
   */
  sessionSubjectOf(token: string): string {
    return bootstrapSubjectOfHash(sha256Hex(token));
  }

  /** Whether a bootstrap session's subject belongs to a token that still works (a new token ends old sessions). */
  async isCurrentSessionSubject(subject: string): Promise<boolean> {
    const hashes = [this.environmentToken ? sha256Hex(this.environmentToken) : null, await this.storedHash()];
    return hashes.some(
      (hash) =>
        typeof hash === 'string' && digestsEqual(sha256Hex(bootstrapSubjectOfHash(hash)), sha256Hex(subject)),
    );
  }

  private async storedHash(): Promise<string | null> {
    if (this.cachedHash === undefined) {
      const stored = await this.prisma.setting.findUnique({ where: { key: settingKey } });
      this.cachedHash = stored?.value ?? null;
    }
    return this.cachedHash;
  }
}
