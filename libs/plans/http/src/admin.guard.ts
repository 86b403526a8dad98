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
import { type Actor, authenticateAdminSession } from '@tollgate/plans-data';
import { type AdminRoleName, roleSatisfies } from '@tollgate/plans-domain';
import { type FastifyRequest } from 'fastify';
import { ADMIN_ROLE } from './admin/admin-role.decorator';
import { bearerToken } from './bearer-token';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';

/** Who is calling the admin API, as the AdminGuard established it. */
export interface AdminPrincipal {
  actor: Actor & { type: 'admin_token' | 'admin_user' };
  role: AdminRoleName;
}

type AdminRequest = FastifyRequest & { adminPrincipal?: AdminPrincipal };

/**
 * Admin API: a bearer token that is the bootstrap admin token (role owner) or an admin user's
 * session token, then the route's role (RequireAdminRole, else viewer for reads, admin for writes).
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
    const token = bearerToken(request);
    if (token) {
      if (await this.deps.adminTokens.verify(token)) {
        return { actor: { type: 'admin_token', id: 'bootstrap' }, role: 'owner' };
      }
      const session = await authenticateAdminSession(this.deps.prisma, token);
      if (session) return { actor: { type: 'admin_user', id: session.userId }, role: session.role };
    }
    throw new UnauthenticatedError('An admin bearer token is required');
  }
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
