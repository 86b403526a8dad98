/**
 * Parses the `Tollgate-Usage` response header, an RFC 8941 structured-field dictionary of
 * numeric members such as `sms=1, txn_value=12550`. Members that are not non-negative numbers
 * are ignored (an upstream bug must not break the response); a bare key means 1 (boolean true).
 */
export function parseUsageHeader(header: string | undefined): Record<string, number> {
  const usage: Record<string, number> = {};
  if (!header) return usage;
  for (const member of header.split(',')) {
    const [rawKey, ...rest] = member.trim().split('=');
    const key = rawKey?.trim();
    if (!key || !/^[a-z*][a-z0-9_\-.*]*$/.test(key)) continue;
    if (rest.length === 0) {
      usage[key] = 1;
      continue;
    }
    const rawValue = rest.join('=').split(';')[0].trim(); // drop parameters
    if (!/^\d{1,15}(\.\d{1,3})?$/.test(rawValue)) continue;
    usage[key] = Number(rawValue);
  }
  return usage;
}

export function formatUsageHeader(usage: Record<string, number>): string {
  return Object.entries(usage)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}
