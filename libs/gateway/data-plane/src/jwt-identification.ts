import { type Problem } from '@tollgate/errors';
import { gatewayProblem } from './gateway-problems';
import { type JwtFailureReason } from './jwt-verifier';
import { type CompiledApi, type CompiledConsumer, type CompiledSnapshot } from './snapshot-store';

/** Who a JWT names, or the answer to give when it names no one. */
export type JwtIdentification =
  | { consumer: CompiledConsumer }
  | {
      consumer: null;
      problem: Problem;
      headers: readonly string[];
      /** Set when the issuer's key set could not be fetched (worth a log line, not per request). */
      keysUnavailable: string | null;
    };

/** RFC 6750: an invalid token is answered with `error="invalid_token"` and a description. */
function invalidTokenHeaders(description: string): string[] {
  return [
    'www-authenticate',
    `Bearer realm="tollgate", error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`,
  ];
}

function refused(reason: JwtFailureReason | 'unknown_consumer', detail: string): JwtIdentification {
  return {
    consumer: null,
    problem: gatewayProblem('unauthenticated', detail, { reason }),
    headers: invalidTokenHeaders(detail),
    keysUnavailable: null,
  };
}

/**
 * Identifies the consumer of a JWT bearer token on an API with JWT authentication: the token must
 * verify, and its consumer claim must be the externalId of a consumer in the snapshot.
 */
export async function identifyJwtConsumer(
  snapshot: CompiledSnapshot,
  api: CompiledApi,
  token: string,
  now: number,
): Promise<JwtIdentification> {
  const verifier = api.jwt;
  if (verifier === null) return refused('malformed', 'This API does not accept JWT bearer tokens');
  const verification = await verifier.verify(token, now);
  if (!verification.ok) {
    if (verification.reason === 'keys_unavailable') {
      return {
        consumer: null,
        problem: gatewayProblem(
          'dependency_unavailable',
          "The token issuer's signing keys could not be fetched",
        ),
        headers: ['retry-after', '5'],
        keysUnavailable: verification.detail,
      };
    }
    return refused(verification.reason, verification.detail);
  }
  const consumer = snapshot.consumersByExternalId.get(verification.consumerRef);
  if (consumer === undefined) {
    return refused('unknown_consumer', 'The token names no known consumer');
  }
  return { consumer };
}
