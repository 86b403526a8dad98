import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import {
  ConflictError,
  DomainError,
  NotFoundError,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemType,
  toProblem,
} from '@tollgate/errors';
import { Prisma } from '@tollgate/relational';
import { type FastifyReply, type FastifyRequest } from 'fastify';

const httpTitles: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Content too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
};

/** Fastify's own errors (body parsing, content type) carry a code and a 4xx status. */
function fastifyClientError(
  exception: unknown,
): { status: number; code: string; message: string } | undefined {
  if (!(exception instanceof Error)) return undefined;
  const { statusCode, code } = exception as Error & { statusCode?: unknown; code?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number')
    return undefined;
  if (statusCode < 400 || statusCode >= 500) return undefined;
  return { status: statusCode, code, message: exception.message };
}

function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The columns a unique violation names, wherever this Prisma version puts them. */
export function uniqueViolationFields(error: Prisma.PrismaClientKnownRequestError): string[] {
  const meta = (error.meta ?? {}) as {
    target?: unknown;
    driverAdapterError?: { cause?: { constraint?: { fields?: unknown } } };
  };
  const fromAdapter = meta.driverAdapterError?.cause?.constraint?.fields;
  const raw = Array.isArray(fromAdapter)
    ? fromAdapter
    : Array.isArray(meta.target)
      ? meta.target
      : typeof meta.target === 'string'
        ? [meta.target]
        : (/fields: \(([^)]*)\)/.exec(error.message)?.[1]?.split(',') ?? []);
  return raw
    .map((field) => camelCase(String(field).replace(/[`"\s]/g, '')))
    .filter((field) => field.length > 0);
}

/** Persistence errors that are the client's fault, as domain errors; others stay unexpected. */
function fromPrisma(exception: unknown): DomainError | undefined {
  if (!(exception instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  if (exception.code === 'P2002') {
    const fields = uniqueViolationFields(exception);
    const named = fields.length > 0 ? fields.join(', ') : 'a unique field';
    return new ConflictError(`Another record already has this ${named}`, {
      ...(fields.length > 0 ? { field: fields.join(',') } : {}),
    });
  }
  if (exception.code === 'P2025') {
    const model = (exception.meta as { modelName?: unknown } | undefined)?.modelName;
    return new NotFoundError(typeof model === 'string' ? model : 'Record', '(requested)');
  }
  return undefined;
}

/** The one place errors become HTTP responses: RFC 9457 problem+json, never an HTML 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = this.problemOf(exception, request.url);
    if (body.status === 401) reply.header('www-authenticate', 'Bearer realm="tollgate"');
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  problemOf(exception: unknown, instance: string): Problem {
    if (exception instanceof DomainError) return toProblem(exception, instance);
    const persistence = fromPrisma(exception);
    if (persistence) return toProblem(persistence, instance);
    const fastify = fastifyClientError(exception);
    if (fastify) {
      return {
        type: problemType(fastify.code.toLowerCase()),
        title: httpTitles[fastify.status] ?? 'Invalid request',
        status: fastify.status,
        detail: fastify.message,
        instance,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const detail =
        typeof response === 'string'
          ? response
          : String((response as { message?: unknown }).message ?? exception.message);
      if (status >= 500) this.logger.error(exception.stack ?? String(exception));
      return {
        type: problemType(`http_${status}`),
        title: httpTitles[status] ?? exception.name,
        status,
        detail: status >= 500 ? 'An unexpected error occurred' : detail,
        instance,
      };
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return toProblem(exception, instance);
  }
}
