import { type Mailer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import { type PortalAbuseLimiter } from './abuse-limiter';

/** What the portal use cases need; built once by the HTTP layer from its dependencies. */
export interface PortalContext {
  prisma: PrismaClient;
  mailer: Mailer;
  /** Base URL of the control plane as developers reach it (links in mail). */
  publicUrl: string;
  /** Signs verification and password-reset links. */
  signingSecret: string;
  limiter: PortalAbuseLimiter;
}

/** The client as far as abuse limits care: its address. */
export interface PortalClient {
  ip: string;
}
