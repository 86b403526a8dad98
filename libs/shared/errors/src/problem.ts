import { DomainError, type ErrorCode } from './domain-error';

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const statusByCode: Record<ErrorCode, { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  limit_exceeded: { status: 429, title: 'Too many requests' },
  spend_cap_reached: { status: 402, title: 'Spend cap reached' },
  upstream_failed: { status: 502, title: 'Bad gateway' },
  dependency_unavailable: { status: 503, title: 'Service unavailable' },
  upstream_timeout: { status: 504, title: 'Gateway timeout' },
};

export function problemType(code: string): string {
  return `https://tollgate.dev/problems/${code.replace(/_/g, '-')}`;
}

/** The one place typed errors become HTTP: every transport calls this. */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof DomainError) {
    const { status, title } = statusByCode[error.code];
    return {
      type: problemType(error.code),
      title,
      status,
      detail: error.message,
      ...(instance ? { instance } : {}),
      ...error.details,
    };
  }
  return {
    type: problemType('internal_error'),
    title: 'Internal server error',
    status: 500,
    detail: 'An unexpected error occurred',
    ...(instance ? { instance } : {}),
  };
}

export function statusOf(code: ErrorCode): number {
  return statusByCode[code].status;
}
