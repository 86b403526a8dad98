import {
  type CanActivate,
  type ExecutionContext,
  createParamDecorator,
  Inject,
  Injectable,
} from '@nestjs/common';
import { UnauthenticatedError } from '@tollgate/errors';
import { developerOfSession } from '@tollgate/plans-portal';
import { type Developer } from '@tollgate/relational';
import { type FastifyRequest } from 'fastify';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { sessionTokenOf } from './session-cookie';

/** Where the guard leaves the signed-in developer for the handler. */
const developers = new WeakMap<FastifyRequest, Developer>();

/** Portal routes: a `tg_session` cookie of a live session of a verified developer. */
@Injectable()
export class PortalGuard implements CanActivate {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = sessionTokenOf(request.headers.cookie);
    const developer = token ? await developerOfSession(this.deps.prisma, token) : undefined;
    if (!developer) throw new UnauthenticatedError('Sign in to the portal first (tg_session cookie)');
    developers.set(request, developer);
    return true;
  }
}

/** The developer PortalGuard authenticated. */
export const CurrentDeveloper = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Developer => {
    const developer = developers.get(context.switchToHttp().getRequest<FastifyRequest>());
    // Only reachable if a handler forgot @UseGuards(PortalGuard): fail closed.
    if (!developer) throw new UnauthenticatedError('Sign in to the portal first (tg_session cookie)');
    return developer;
  },
);
