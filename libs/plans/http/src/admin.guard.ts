import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthenticatedError } from '@tollgate/errors';
import { digestsEqual, sha256Hex } from '@tollgate/ids';
import { type Actor, resolveAdminSession } from '@tollgate/plans-data';
import { type AdminRoleName, roleSatisfies } from '@tollgate/plans-domain';
import { type FastifyRequest } from 'fastify';
import { ADMIN_ROLE } from './admin/admin-role.decorator';
import { adminCsrfHeader, adminSessionTokenOf, isSafeMethod } from './admin/admin-session-cookie';
import { bearerToken } from './bearer-token';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';

/** Who is calling the admin API, as the AdminGuard established it. */
export interface AdminPrincipal {
  actor: Actor & { type: 'admin_token' | 'admin_user' };
  role: AdminRoleName;
  /** How the caller authenticated: the Authorization header, or the console's session cookie. */
  via: 'bearer' | 'cookie';
  /** When the caller's session ends; absent for the bootstrap token itself, which does not expire. */
  expiresAt?: string;
}

type AdminRequest = FastifyRequest & { adminPrincipal?: AdminPrincipal };

/**
 * Admin API: a bearer token that is the bootstrap admin token (role owner) or an admin session
 * token, or else the console's `tg_admin_session` cookie; then the route's role (RequireAdminRole,
 * else viewer for reads, admin for writes). A write authenticated by the cookie must carry the
 * X-Requested-With header (CSRF). An Authorization header, when present, decides alone.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    @Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const principal = await this.authenticate(request);
    const required =
      this.reflector.getAllAndOverride<AdminRoleName | undefined>(ADMIN_ROLE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'admin');
    if (!roleSatisfies(principal.role, required)) {
      throw new ForbiddenError(`This operation needs the ${required} role; you have ${principal.role}`, {
        requiredRole: required,
        role: principal.role,
      });
    }
    request.adminPrincipal = principal;
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<AdminPrincipal> {
    if (request.headers.authorization !== undefined) {
      const token = bearerToken(request);
      if (token && (await this.deps.adminTokens.verify(token))) {
        return { actor: { type: 'admin_token', id: 'bootstrap' }, role: 'owner', via: 'bearer' };
      }
      const principal = token ? await this.sessionPrincipal(token, 'bearer') : null;
      if (principal) return principal;
      throw new UnauthenticatedError('An admin bearer token is required');
    }
    const cookieToken = adminSessionTokenOf(request.headers.cookie);
    const principal = cookieToken ? await this.sessionPrincipal(cookieToken, 'cookie') : null;
    if (!principal) {
      throw new UnauthenticatedError('An admin bearer token or admin session cookie is required');
    }
    if (!isSafeMethod(request.method) && !hasCsrfProof(request)) {
      throw new ForbiddenError(
        `A change made with the admin session cookie needs the ${adminCsrfHeader} header (e.g. XMLHttpRequest)`,
        { requiredHeader: adminCsrfHeader },
      );
    }
    return principal;
  }

  private async sessionPrincipal(token: string, via: AdminPrincipal['via']): Promise<AdminPrincipal | null> {
    const session = await resolveAdminSession(this.deps.prisma, this.deps.adminTokens, token);
    if (!session) return null;
    const actor: AdminPrincipal['actor'] =
      session.kind === 'user'
        ? { type: 'admin_user', id: session.userId }
        : { type: 'admin_token', id: 'bootstrap' };
    return { actor, role: session.role, via, expiresAt: session.expiresAt };
  }
}

/**
 * CSRF proof of a cookie-authenticated write: the custom header (which a cross-site page cannot
 * send without a CORS preflight), and no `Sec-Fetch-Site: cross-site` from browsers that tell.
 */
function hasCsrfProof(request: FastifyRequest): boolean {
  const header = request.headers[adminCsrfHeader];
  const value = Array.isArray(header) ? header.join('') : (header ?? '');
  if (value.trim().length === 0) return false;
  return request.headers['sec-fetch-site'] !== 'cross-site';
}

/** The principal the AdminGuard established, in a controller behind it. */
export function adminPrincipalOf(request: FastifyRequest): AdminPrincipal {
  const principal = (request as AdminRequest).adminPrincipal;
  // The guard always sets it; reaching here without it means a route lacks the guard.
  if (!principal) throw new UnauthenticatedError('An admin bearer token is required');
  return principal;
}

/** The authenticated admin's audit identity, in a controller behind AdminGuard. */
export const AdminActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const principal = context.switchToHttp().getRequest<AdminRequest>().adminPrincipal;
  // The guard always sets it; reaching here without it means a route lacks the guard.
  if (!principal) throw new UnauthenticatedError('An admin bearer token is required');
  return principal.actor;
});

/** Gateway snapshot pulls: the shared gateway token, or an admin token. */
@Injectable()
export class GatewayGuard implements CanActivate {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
    if (
      token &&
      this.deps.gatewayToken &&
      digestsEqual(sha256Hex(token), sha256Hex(this.deps.gatewayToken))
    ) {
      return true;
    }
    if (token && (await this.deps.adminTokens.verify(token))) return true;
    throw new UnauthenticatedError('A gateway or admin bearer token is required');
  }
}
