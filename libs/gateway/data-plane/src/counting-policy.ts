import { type SnapshotPlan } from '@tollgate/gateway-snapshot';

/**
 * Whether a response the gateway charged for stays charged. 1xx–3xx always count; 4xx and 5xx
 * follow the plan's counting policy; a 502/504 the gateway produced itself (the upstream failed or
 * timed out) never counts, whatever the policy says about 5xx.
 */
export function isCounted(
  status: number,
  policy: SnapshotPlan['countPolicy'],
  producedByGateway: boolean,
): boolean {
  if (producedByGateway) return false;
  if (status >= 500) return policy.count5xx;
  if (status >= 400) return policy.count4xx;
  return true;
}
