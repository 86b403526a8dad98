export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'unauthenticated'
  | 'forbidden'
  | 'limit_exceeded'
  | 'spend_cap_reached'
  | 'dependency_unavailable'
  | 'upstream_failed'
  | 'upstream_timeout';

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `quota.limit`. */
  field: string;
  message: string;
}

/** Base of every error the domain throws. HTTP semantics are added once, in problem.ts. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(
    readonly issues: FieldIssue[],
    message = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
  ) {
    super('validation_failed', message, { errors: issues });
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: string) {
    super('not_found', `${entity} ${id} was not found`, { entity, id });
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('conflict', message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid credential is required') {
    super('unauthenticated', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('forbidden', message, details);
  }
}

export class DependencyUnavailableError extends DomainError {
  constructor(dependency: string, cause?: unknown) {
    super('dependency_unavailable', `${dependency} is unavailable`, { dependency });
    if (cause !== undefined) this.cause = cause;
  }
}
