import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, PROBLEM_CONTENT_TYPE, problemType, toProblem } from '@tollgate/errors';
import { type FastifyReply, type FastifyRequest } from 'fastify';

/** The one place errors become HTTP responses: RFC 9457 problem+json, never an HTML 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const instance = request.url;
    let body;
    if (exception instanceof DomainError) {
      body = toProblem(exception, instance);
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const detail =
        typeof response === 'string'
          ? response
          : String((response as { message?: unknown }).message ?? exception.message);
      body = { type: problemType(`http_${status}`), title: exception.name, status, detail, instance };
    } else {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
      body = toProblem(exception, instance);
    }
    if (body.status === 401) reply.header('www-authenticate', 'Bearer realm="tollgate"');
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }
}
