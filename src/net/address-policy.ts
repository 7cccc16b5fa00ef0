import { BlockList, isIP } from 'node:net';

export type AddressKind =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

function blockList(v4: readonly string[], v6: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of v4) {
    const [net, bits] = cidr.split('/');
    list.addSubnet(net ?? '', Number(bits), 'ipv4');
  }
  for (const cidr of v6) {
    const [net, bits] = cidr.split('/');
    list.addSubnet(net ?? '', Number(bits), 'ipv6');
  }
  return list;
}

// Ranges from the IANA special-purpose address registries, grouped by how we name them to users.
const ranges: ReadonlyArray<[Exclude<AddressKind, 'public'>, BlockList]> = [
  ['unspecified', blockList(['0.0.0.0/8'], ['::/128'])],
  ['loopback', blockList(['127.0.0.0/8'], ['::1/128'])],
  ['link-local', blockList(['169.254.0.0/16'], ['fe80::/10'])],
  [
    'private',
    blockList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ['fc00::/7']),
  ],
  ['multicast', blockList(['224.0.0.0/4'], ['ff00::/8'])],
  [
    'reserved',
    blockList(
      [
        '192.0.0.0/24',
        '192.0.2.0/24',
        '198.18.0.0/15',
        '198.51.100.0/24',
        '203.0.113.0/24',
        '240.0.0.0/4',
      ],
      ['2001:db8::/32', '64:ff9b:1::/48', '100::/64'],
    ),
  ],
];

/** IPv4 written inside IPv6 (::ffff:127.0.0.1, ::ffff:7f00:1) is judged as the IPv4 it is. */
function unwrapMappedIpv4(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return address;
}

/** What kind of address an IP literal is; anything that is not an IP is 'reserved'. */
export function classifyAddress(address: string): AddressKind {
  const ip = unwrapMappedIpv4(address.replace(/^\[|\]$/g, ''));
  const family = isIP(ip);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of ranges) {
    if (list.check(ip, type)) return kind;
  }
  return 'public';
}

export interface AddressPolicy {
  readonly allowPrivate: boolean;
  /** Host names or IP literals allowed even when they are not public. */
  readonly allowHosts: readonly string[];
}

/** Undefined when the host at this address may be contacted, else the kind that refuses it. */
export function refusalOf(
  policy: AddressPolicy,
  hostname: string,
  address: string,
): AddressKind | undefined {
  const kind = classifyAddress(address);
  if (kind === 'public' || policy.allowPrivate) return undefined;
  const allowed = policy.allowHosts;
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (allowed.includes(host) || allowed.includes(unwrapMappedIpv4(address).toLowerCase()))
    return undefined;
  return kind;
}
