import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { UnauthenticatedError } from '@tollgate/errors';
import { digestsEqual, sha256Hex } from '@tollgate/ids';
import { type FastifyRequest } from 'fastify';
import { bearerToken } from './bearer-token';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';

/** Admin API: a bearer admin token. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>());
    if (!token || !(await this.deps.adminTokens.verify(token))) {
      throw new UnauthenticatedError('An admin bearer token is required');
    }
    return true;
  }
}

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
