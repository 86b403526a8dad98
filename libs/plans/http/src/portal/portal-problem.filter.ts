import { type ArgumentsHost, Catch } from '@nestjs/common';
import { TooManyAttemptsError } from '@tollgate/plans-portal';
import { type FastifyReply } from 'fastify';
import { ProblemFilter } from '../problem.filter';

/** The shared problem filter, plus Retry-After on the portal's abuse-limit refusals (429). */
@Catch()
export class PortalProblemFilter extends ProblemFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof TooManyAttemptsError) {
      void host
        .switchToHttp()
        .getResponse<FastifyReply>()
        .header('retry-after', String(exception.retryAfterSeconds));
    }
    super.catch(exception, host);
  }
}
