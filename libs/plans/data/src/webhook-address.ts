import { type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4, isIPv6 } from 'node:net';

/** What kind of network an IP address belongs to; only `public` may receive consumer webhooks. */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

interface Range<Kind> {
  base: bigint;
  prefix: number;
  kind: Kind;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** The 128-bit value of an IPv6 address (a trailing dotted quad such as `::ffff:10.0.0.1` included). */
function ipv6Value(address: string): bigint {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const quad = ipv4Value(tail);
    text = `${text.slice(0, lastColon + 1)}${(quad >> 16n).toString(16)}:${(quad & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  return [...headGroups, ...zeros, ...restGroups].reduce(
    (value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)),
    0n,
  );
}

function ranges<Kind>(
  bits: 32 | 128,
  value: (address: string) => bigint,
  table: Array<[string, Kind]>,
): Array<Range<Kind>> {
  return table.map(([cidr, kind]) => {
    const [address, prefix] = cidr.split('/');
    const length = Number(prefix);
    const mask = ((1n << BigInt(length)) - 1n) << BigInt(bits - length);
    return { base: value(address) & mask, prefix: length, kind };
  });
}

// Most specific first: the first range that holds an address decides its class.
const ipv4Ranges = ranges<AddressClass>(32, ipv4Value, [
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'],
  ['127.0.0.0/8', 'loopback'],
  // Holds the cloud instance metadata address 169.254.169.254.
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

const ipv6Ranges = ranges<AddressClass | 'embedded-ipv4'>(128, ipv6Value, [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  // IPv4-mapped, IPv4-compatible and NAT64 addresses reach the IPv4 address they carry.
  ['::ffff:0:0/96', 'embedded-ipv4'],
  ['::/96', 'embedded-ipv4'],
  ['64:ff9b::/96', 'embedded-ipv4'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001:db8::/32', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'],
  ['ff00::/8', 'multicast'],
]);

function lookupRange<Kind>(table: Array<Range<Kind>>, bits: number, value: bigint): Range<Kind> | undefined {
  return table.find(
    (range) => value >> BigInt(bits - range.prefix) === range.base >> BigInt(bits - range.prefix),
  );
}

/** The network class of an IPv4 or IPv6 address (brackets and a zone id are allowed); `invalid` if it is neither. */
export function classifyAddress(input: string): AddressClass {
  let address = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIPv4(address)) return lookupRange(ipv4Ranges, 32, ipv4Value(address))?.kind ?? 'public';
  if (!isIPv6(address)) return 'invalid';
  const value = ipv6Value(address);
  const range = lookupRange(ipv6Ranges, 128, value);
  if (range?.kind !== 'embedded-ipv4') return range?.kind ?? 'public';
  const embedded = value & 0xffffffffn;
  const quad = [24n, 16n, 8n, 0n].map((shift) => String((embedded >> shift) & 0xffn)).join('.');
  return classifyAddress(quad);
}

/** Resolves a host name to every address it has (the system resolver, as connections use it). */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemHostResolver: HostResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The addresses a webhook may connect to, or why it may not. */
export type WebhookTarget =
  | { allowed: true; addresses: LookupAddress[] }
  | { allowed: false; reason: 'private-address' | 'unresolvable'; code?: string };

/**
 * Vets the host of a webhook URL: an IP literal as it is, a name by resolving it. Every address
 * must be public (one private address among public ones refuses the host), so the caller can
 * connect to any of the returned addresses.
 */
export async function vetWebhookHost(
  hostname: string,
  resolve: HostResolver = systemHostResolver,
): Promise<WebhookTarget> {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  let addresses: LookupAddress[];
  if (isIP(bare) !== 0) {
    addresses = [{ address: bare, family: isIP(bare) }];
  } else {
    try {
      addresses = await resolve(bare);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { allowed: false, reason: 'unresolvable', code: typeof code === 'string' ? code : undefined };
    }
  }
  if (addresses.length === 0) return { allowed: false, reason: 'unresolvable' };
  if (addresses.some((entry) => classifyAddress(entry.address) !== 'public')) {
    return { allowed: false, reason: 'private-address' };
  }
  return { allowed: true, addresses };
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for net/tls connections that answers only the vetted addresses, whatever the name:
 * the connection goes to an address that was checked, even if the name now resolves elsewhere.
 */
export function pinnedLookup(addresses: LookupAddress[]) {
  return (
    _hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: LookupCallback,
  ) => {
    const family =
      options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
    const candidates =
      family === 4 || family === 6 ? addresses.filter((entry) => entry.family === family) : addresses;
    if (candidates.length === 0) {
      const error: NodeJS.ErrnoException = new Error('no vetted address of the requested family');
      error.code = 'ENOTFOUND';
      callback(error, options.all ? [] : '', undefined);
      return;
    }
    if (options.all) callback(null, candidates);
    else callback(null, candidates[0].address, candidates[0].family);
  };
}
