import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { UnauthenticatedError } from '@tollgate/errors';
import { findApiByIngestToken } from '@tollgate/plans-data';
import { type FastifyRequest } from 'fastify';
import { bearerToken } from '../bearer-token';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';

type IngestRequest = FastifyRequest & { ingestApiId?: string };

/** The ingest API: `Authorization: Bearer tgi_…`, the ingest token of one API. */
@Injectable()
export class IngestTokenGuard implements CanActivate {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<IngestRequest>();
    const token = bearerToken(request);
    const api = token ? await findApiByIngestToken(this.deps.prisma, token) : null;
    if (!api) throw new UnauthenticatedError('An ingest token is required: Authorization: Bearer tgi_…');
    request.ingestApiId = api.id;
    return true;
  }
}

/** The id of the API whose ingest token authenticated the request (behind IngestTokenGuard). */
export const IngestApiId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const apiId = context.switchToHttp().getRequest<IngestRequest>().ingestApiId;
  if (!apiId) throw new UnauthenticatedError('An ingest token is required: Authorization: Bearer tgi_…');
  return apiId;
});
