import { type ServerResponse } from 'node:http';
import { DomainError, type ErrorCode, type Problem, PROBLEM_CONTENT_TYPE, toProblem } from '@tollgate/errors';
import { formatMinorAmount, type SpendCapLimit } from '@tollgate/gateway-enforcement';

type ProblemHead = Pick<Problem, 'type' | 'title' | 'status'>;

// Status, title and type come from toProblem, the one place codes become HTTP; they are looked up
// once per code so a flood of 401s or 429s does not build an Error (and its stack) per request.
const heads = new Map<ErrorCode, ProblemHead>();

/** A problem document for a domain error code, without allocating the error itself. */
export function gatewayProblem(
  code: ErrorCode,
  detail: string,
  extensions?: Record<string, unknown>,
): Problem {
  let head = heads.get(code);
  if (head === undefined) {
    const { type, title, status } = toProblem(new DomainError(code, ''));
    head = { type, title, status };
    heads.set(code, head);
  }
  return extensions === undefined
    ? { type: head.type, title: head.title, status: head.status, detail }
    : { type: head.type, title: head.title, status: head.status, detail, ...extensions };
}

/**
 * The 402 of a reached spend cap, the same from the gateway and from the embeddable meter:
 * `resetsAt` is the end of the billing period (ISO 8601), when the cap frees again.
 */
export function spendCapProblem(cap: SpendCapLimit, resetsAt: string, upgradeUrl: string): Problem {
  const amount = formatMinorAmount(cap.amountMinor, cap.currency, cap.minorDigits);
  return gatewayProblem(
    'spend_cap_reached',
    `Your monthly spend cap of ${amount} is reached (${cap.units} billable requests); it resets at ${resetsAt}. Raise or remove it in the portal.`,
    {
      limit: 'spend_cap',
      capMinor: cap.amountMinor,
      currency: cap.currency,
      capUnits: cap.units,
      resetsAt,
      upgradeUrl,
    },
  );
}

let internal: Problem | undefined;

/** The problem of an unexpected error; says nothing about the error itself. */
export function internalErrorProblem(): Problem {
  internal ??= toProblem(new Error('unexpected'));
  return { ...internal };
}

/**
 * Writes a problem+json response and returns the number of body bytes written. `extraHeaders` is a
 * flat [name, value, …] list (Retry-After, WWW-Authenticate, rate-limit fields).
 */
export function writeProblem(
  response: ServerResponse,
  problem: Problem,
  requestId: string,
  extraHeaders?: readonly string[],
): number {
  const body = JSON.stringify(problem);
  const length = Buffer.byteLength(body);
  const headers = [
    'content-type',
    PROBLEM_CONTENT_TYPE,
    'content-length',
    String(length),
    'cache-control',
    'no-store',
    'x-request-id',
    requestId,
  ];
  if (extraHeaders !== undefined) {
    for (let index = 0; index < extraHeaders.length; index += 1) headers.push(extraHeaders[index]);
  }
  response.writeHead(problem.status, headers);
  response.end(body);
  return length;
}
