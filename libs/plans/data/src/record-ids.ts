import { randomToken } from '@tollgate/ids';

// Kinds @tollgate/ids does not list yet; same shape as prefixedId (prefix, underscore, 20 base36).
export function planVersionId(): string {
  return `pver_${randomToken(20)}`;
}

export function sessionId(): string {
  return `ses_${randomToken(20)}`;
}
