import { isIP } from 'node:net';

/**
 * Which IP addresses a link probe may connect to. Deployed, only public unicast addresses: no
 * loopback, private, shared (CGNAT), link-local (which holds the cloud metadata endpoint),
 * documentation, benchmarking, multicast or reserved ranges — and no IPv6 form that embeds one
 * of those IPv4 addresses (mapped, compatible, NAT64, 6to4). Teredo is refused outright.
 */
const V4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const v4ToInt = (ip: string): number => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);

/** Same network when the addresses agree in their first `bits` bits (unsigned arithmetic, not bitwise). */
const inV4 = (ip: number, [net, bits]: readonly [string, number]): boolean => Math.floor(ip / 2 ** (32 - bits)) === Math.floor(v4ToInt(net) / 2 ** (32 - bits));

export const isPublicV4 = (ip: string): boolean => {
  if (isIP(ip) !== 4) return false;
  const n = v4ToInt(ip);
  return !V4_BLOCKED.some((r) => inV4(n, r));
};

/** Expands an IPv6 address (with or without an embedded dotted IPv4 tail) to a 128-bit number. */
export const v6ToBigInt = (ip: string): bigint | undefined => {
  if (isIP(ip) !== 6) return undefined;
  let s = ip.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    s = s.slice(0, -dotted[1]!.length) + `${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  const groups = tail === undefined ? h : [...h, ...Array<string>(missing).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
};

const v6Prefix = (n: bigint, prefix: string, bits: number): boolean => {
  const p = v6ToBigInt(prefix)!;
  const shift = BigInt(128 - bits);
  return n >> shift === p >> shift;
};

const intToV4 = (n: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');

export const isPublicV6 = (ip: string): boolean => {
  const n = v6ToBigInt(ip);
  if (n === undefined) return false;
  const low32 = n & 0xffffffffn;
  // IPv4 embedded in IPv6: judge the IPv4 address.
  if (v6Prefix(n, '::ffff:0:0', 96) || v6Prefix(n, '::', 96) || v6Prefix(n, '64:ff9b::', 96) || v6Prefix(n, '64:ff9b:1::', 48)) {
    return isPublicV4(intToV4(low32));
  }
  if (v6Prefix(n, '2002::', 16)) return isPublicV4(intToV4((n >> 80n) & 0xffffffffn));
  const blocked: [string, number][] = [
    ['::', 128],
    ['::1', 128],
    ['100::', 64],
    ['2001::', 32],
    ['2001:db8::', 32],
    ['2001:10::', 28],
    ['2001:20::', 28],
    ['fc00::', 7],
    ['fe80::', 10],
    ['fec0::', 10],
    ['ff00::', 8],
  ];
  if (blocked.some(([p, b]) => v6Prefix(n, p, b))) return false;
  // Only global unicast (2000::/3) is routable on the internet.
  return v6Prefix(n, '2000::', 3);
};

export const isPublicAddress = (ip: string): boolean => {
  const family = isIP(ip);
  if (family === 4) return isPublicV4(ip);
  if (family === 6) return isPublicV6(ip);
  return false;
};

export const isLoopback = (ip: string): boolean => {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  const n = v6ToBigInt(ip);
  if (n === undefined) return false;
  return n === 1n || (v6Prefix(n, '::ffff:0:0', 96) && intToV4(n & 0xffffffffn).startsWith('127.'));
};
