import { type LookupAddress } from 'node:dns';
import { type AddressClass, classifyAddress, pinnedLookup, vetWebhookHost } from './webhook-address';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
  ])('IPv4 %s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '11.0.0.1',
    '169.253.255.255',
    '223.255.255.255',
    '192.169.0.1',
  ])('IPv4 %s, just outside the ranges, is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  it.each<[string, AddressClass]>([
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
  ])('IPv6 %s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each(['2606:4700:4700::1111', '2001:4860:4860::8888', 'fbff:ffff::1', 'fe7f::1'])(
    'IPv6 %s is public',
    (address) => {
      expect(classifyAddress(address)).toBe('public');
    },
  );

  it.each<[string, AddressClass]>([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
  ])('an IPv4 address inside IPv6 (%s) is classified as that IPv4 address: %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('calls anything that is not an IP address invalid', () => {
    expect(classifyAddress('localhost')).toBe('invalid');
    expect(classifyAddress('256.0.0.1')).toBe('invalid');
    expect(classifyAddress('')).toBe('invalid');
  });
});

describe('vetWebhookHost', () => {
  const resolver = (answers: Record<string, LookupAddress[]>) => (hostname: string) => {
    const answer = answers[hostname];
    if (answer) return Promise.resolve(answer);
    return Promise.reject(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
    );
  };
  const resolve = resolver({
    'hooks.example.com': [{ address: '93.184.216.34', family: 4 }],
    'internal.example.com': [{ address: '10.0.0.5', family: 4 }],
    'mixed.example.com': [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ],
    'mapped.example.com': [{ address: '::ffff:169.254.169.254', family: 6 }],
  });

  it('allows a name whose every address is public, and returns those addresses', async () => {
    expect(await vetWebhookHost('hooks.example.com', resolve)).toEqual({
      allowed: true,
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
  });

  it('refuses a name with any non-public address', async () => {
    for (const host of ['internal.example.com', 'mixed.example.com', 'mapped.example.com']) {
      expect(await vetWebhookHost(host, resolve)).toEqual({ allowed: false, reason: 'private-address' });
    }
  });

  it('checks IP literals without resolving them', async () => {
    const never = () => Promise.reject(new Error('must not resolve'));
    expect(await vetWebhookHost('169.254.169.254', never)).toMatchObject({ allowed: false });
    expect(await vetWebhookHost('[::1]', never)).toMatchObject({ allowed: false });
    expect(await vetWebhookHost('[::ffff:7f00:1]', never)).toMatchObject({ allowed: false });
    expect(await vetWebhookHost('93.184.216.34', never)).toEqual({
      allowed: true,
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
  });

  it('says when a name does not resolve', async () => {
    expect(await vetWebhookHost('nowhere.example.com', resolve)).toEqual({
      allowed: false,
      reason: 'unresolvable',
      code: 'ENOTFOUND',
    });
  });

  it('refuses localhost through the system resolver', async () => {
    expect(await vetWebhookHost('localhost')).toEqual({ allowed: false, reason: 'private-address' });
  });
});

describe('pinnedLookup', () => {
  const addresses: LookupAddress[] = [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1::1', family: 6 },
  ];

  function call(options: { all?: boolean; family?: number | string }) {
    return new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) => {
      pinnedLookup(addresses)('rebinding.example.com', options, (error, address, family) =>
        resolve({ error, address, family }),
      );
    });
  }

  it('answers only the vetted addresses, whatever the name', async () => {
    expect(await call({ all: true })).toEqual({ error: null, address: addresses, family: undefined });
    expect(await call({})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await call({ family: 6 })).toEqual({ error: null, address: '2606:2800:220:1::1', family: 6 });
    expect(await call({ family: 'IPv6', all: true })).toMatchObject({ address: [addresses[1]] });
  });

  it('fails rather than answer an address of another family', async () => {
    const only4 = await new Promise<Error | null>((resolve) => {
      pinnedLookup([addresses[0]])('x', { family: 6 }, (error) => resolve(error));
    });
    expect(only4).toMatchObject({ code: 'ENOTFOUND' });
  });
});
