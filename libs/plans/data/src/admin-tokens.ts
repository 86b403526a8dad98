import { digestsEqual, randomToken, sha256Hex } from '@tollgate/ids';
import { type PrismaClient } from '@tollgate/relational';

const settingKey = 'admin_token_sha256';

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
    if (this.cachedHash === undefined) {
      const stored = await this.prisma.setting.findUnique({ where: { key: settingKey } });
      this.cachedHash = stored?.value ?? null;
    }
    const stored = this.cachedHash;
    return typeof stored === 'string' && digestsEqual(presented, stored);
  }
}
