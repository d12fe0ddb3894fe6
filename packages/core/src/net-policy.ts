/**
 * Which outbound destinations a push subscription may name. Checked when an endpoint is
 * registered (here, on the URL and any IP literal in it) and again at connect time on the
 * resolved address (the dispatcher), because DNS can change between the two.
 */
import { isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'reserved';

/** Documentation, benchmarking, 6to4-relay and other special-purpose IPv4 blocks (RFC 6890). */
function v4Class(v: number): AddressClass {
  const a = v >>> 24;
  const b = (v >>> 16) & 255;
  const c = (v >>> 8) & 255;
  if (v === 0xa9fea9fe) return 'metadata'; // 169.254.169.254
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224) return 'reserved'; // multicast, class E, broadcast
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return 'reserved'; // IETF protocol assignments, TEST-NET-1
  if (a === 192 && b === 88 && c === 99) return 'reserved'; // 6to4 relay anycast
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'reserved'; // TEST-NET-2, -3
  return 'public';
}

interface V6Block {
  net: bigint;
  prefix: number;
  /** A class, or where the carried IPv4 address sits (bit offset from the right) when the block embeds one. */
  is: AddressClass | { carriesV4At: number };
}

const v6 = (text: string): bigint => parseIp(text)?.value ?? 0n;

/**
 * Special-purpose IPv6 blocks (RFC 6890 and its updates), most specific first. Blocks that
 * embed an IPv4 address are judged by that address, so a NAT64 or 6to4 spelling of 10.0.0.1
 * is as private as 10.0.0.1 itself. Outside 2000::/3 nothing is global unicast.
 */
const V6_BLOCKS: readonly V6Block[] = [
  { net: v6('fd00:ec2::254'), prefix: 128, is: 'metadata' },
  { net: 0n, prefix: 128, is: 'unspecified' },
  { net: 1n, prefix: 128, is: 'loopback' },
  { net: v6('::ffff:0:0'), prefix: 96, is: { carriesV4At: 0 } }, // IPv4-mapped
  { net: v6('::ffff:0:0:0'), prefix: 96, is: { carriesV4At: 0 } }, // IPv4-translated (SIIT)
  { net: 0n, prefix: 96, is: { carriesV4At: 0 } }, // IPv4-compatible (deprecated)
  { net: v6('64:ff9b::'), prefix: 96, is: { carriesV4At: 0 } }, // NAT64 well-known prefix
  { net: v6('64:ff9b:1::'), prefix: 48, is: 'private' }, // NAT64 local-use prefixes
  { net: v6('100::'), prefix: 64, is: 'reserved' }, // discard-only
  { net: v6('2001:db8::'), prefix: 32, is: 'reserved' }, // documentation
  { net: v6('2001::'), prefix: 32, is: 'reserved' }, // Teredo: carries an obfuscated IPv4 address
  { net: v6('2001::'), prefix: 23, is: 'reserved' }, // IETF protocol assignments (ORCHID, benchmarking…)
  { net: v6('2002::'), prefix: 16, is: { carriesV4At: 80 } }, // 6to4
  { net: v6('3fff::'), prefix: 20, is: 'reserved' }, // documentation (RFC 9637)
  { net: v6('2000::'), prefix: 3, is: 'public' },
  { net: v6('fe80::'), prefix: 10, is: 'link-local' },
  { net: v6('fec0::'), prefix: 10, is: 'private' }, // site-local (deprecated)
  { net: v6('fc00::'), prefix: 7, is: 'private' }, // unique local
  { net: v6('ff00::'), prefix: 8, is: 'reserved' }, // multicast
];

const within = (value: bigint, net: bigint, prefix: number, width: number): boolean =>
  prefix === 0 || value >> BigInt(width - prefix) === net >> BigInt(width - prefix);

/**
 * Classifies an IP literal. IPv6 forms that carry an IPv4 address (mapped, translated,
 * compatible, NAT64, 6to4) are classified as the address they carry; every other IPv6 address
 * outside global unicast (2000::/3) is reserved.
 */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIp(ip);
  if (!parsed) return 'reserved';
  if (parsed.family === 4) return v4Class(Number(parsed.value));
  for (const block of V6_BLOCKS) {
    if (!within(parsed.value, block.net, block.prefix, 128)) continue;
    if (typeof block.is === 'string') return block.is;
    return v4Class(Number((parsed.value >> BigInt(block.is.carriesV4At)) & 0xffffffffn));
  }
  return 'reserved';
}

/** IPv6 blocks whose addresses carry IPv4 ones: an allowlist block that covers one allows all of IPv4 through it. */
const CARRIER_BLOCKS = V6_BLOCKS.filter((b) => typeof b.is !== 'string');

/**
 * Why an allowlist CIDR block would switch the address guard off (and so needs an explicit,
 * audited `force`), or undefined when it is narrow enough: IPv4 blocks wider than /8, IPv6 blocks
 * wider than /7 (the unique-local block), and IPv6 blocks that contain a whole range carrying
 * IPv4 addresses (::/96, 64:ff9b::/96, 2002::/16 …).
 */
export function allowPatternTooBroad(pattern: string): string | undefined {
  const slash = pattern.indexOf('/');
  if (slash < 0) return undefined;
  const ip = ipValue(pattern.slice(0, slash));
  const prefix = Number(pattern.slice(slash + 1));
  if (!ip) return undefined;
  if (ip.family === 4) return prefix < 8 ? 'an IPv4 block wider than /8 would exempt most of the address space from the guard' : undefined;
  if (prefix < 7) return 'an IPv6 block wider than /7 would exempt most of the address space from the guard';
  const carrier = CARRIER_BLOCKS.find((b) => prefix <= b.prefix && within(b.net, ip.value, prefix, 128));
  return carrier ? `the block contains ${ipText(6, carrier.net)}/${carrier.prefix}, whose addresses carry every IPv4 address` : undefined;
}

export interface EndpointPolicy {
  /** Development mode: http:// and loopback endpoints are allowed. */
  devMode: boolean;
  /**
   * Normalised allowlist patterns (see `normaliseAllowPattern`): a host that matches one is
   * exempt from the address rules (not from https).
   */
  allowlist?: readonly string[];
}

/** Names that resolve to the machine itself on common systems (RFC 6761 and /etc/hosts defaults). */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'localdomain', 'ip6-localhost', 'ip6-loopback', 'loopback']);

/** Returns why an endpoint URL is refused, or undefined when it is acceptable. */
export function checkEndpointUrl(raw: string, policy: EndpointPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:' && !(policy.devMode && url.protocol === 'http:')) {
    return policy.devMode ? 'must use http or https' : 'must use https';
  }
  if (url.username || url.password) return 'must not carry credentials';
  // A trailing dot names the same host (an absolute DNS name): `localhost.` is localhost.
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
  // Odd IPv4 notations (decimal, octal, hex, short forms) are normalised by URL; an all-numeric
  // or hex-looking host that did not become a dotted quad is refused outright.
  if (/^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/i.test(host) && isIP(host) !== 4) return 'uses an unusual IP notation';
  if (policy.allowlist && allowlistMatches(host, policy.allowlist)) return undefined;
  if (isIP(host)) {
    const cls = classifyAddress(host);
    if (cls === 'public') return undefined;
    if (cls === 'loopback' && policy.devMode) return undefined;
    return `points at a ${cls} address`;
  }
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost') || host.endsWith('.localdomain')) {
    return policy.devMode ? undefined : 'points at a loopback address';
  }
  return undefined;
}

// Allowlist patterns: an exact host name, an IP address or a CIDR block. Patterns are stored
// normalised (lower case, canonical IP text, CIDR reduced to its network address) so that one
// network cannot be listed twice under two spellings.

const HOST_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

interface IpValue {
  family: 4 | 6;
  value: bigint;
}

/** Canonical text of an IP literal, as the WHATWG URL parser writes it (IPv6 compressed, lower case). */
function canonicalIp(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  try {
    return new URL(`http://${family === 6 ? `[${ip}]` : ip}/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** An IP literal as a number, exactly as written (IPv4-mapped IPv6 stays IPv6). */
function parseIp(ip: string): IpValue | undefined {
  const canonical = canonicalIp(ip);
  if (canonical === undefined) return undefined;
  if (isIP(canonical) === 4) {
    return { family: 4, value: canonical.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  // The URL serialiser writes IPv6 as hex groups only (embedded IPv4 becomes two groups).
  const [head = '', tail] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
}

/** An IP literal as a number for allowlist matching: IPv4-mapped addresses (::ffff:a.b.c.d) count as the IPv4 address they carry. */
function ipValue(ip: string): IpValue | undefined {
  const parsed = parseIp(ip);
  if (parsed?.family === 6 && parsed.value >> 32n === 0xffffn) return { family: 4, value: parsed.value & 0xffffffffn };
  return parsed;
}

function ipText(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return canonicalIp(groups.join(':')) ?? groups.join(':');
}

/**
 * Returns the stored form of an allowlist pattern, or undefined when it is not a host name,
 * an IP address or a CIDR block.
 */
export function normaliseAllowPattern(raw: string): string | undefined {
  const text = raw.trim().toLowerCase();
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const ip = ipValue(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
    const prefix = Number(prefixText);
    const width = ip.family === 4 ? 32 : 128;
    if (prefix > width) return undefined;
    const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
    return `${ipText(ip.family, ip.value & mask)}/${prefix}`;
  }
  if (isIP(text)) {
    const ip = ipValue(text);
    return ip ? ipText(ip.family, ip.value) : undefined;
  }
  return HOST_RE.test(text) && !/^[\d.]+$/.test(text) ? text : undefined;
}

/** Whether a URL host (name or IP literal, brackets removed) matches one of the normalised patterns. */
export function allowlistMatches(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  const ip = isIP(name) ? ipValue(name) : undefined;
  for (const pattern of patterns) {
    const slash = pattern.indexOf('/');
    if (slash < 0) {
      const exact = ip ? ipValue(pattern) : undefined;
      if (ip ? exact?.family === ip.family && exact.value === ip.value : pattern === name) return true;
      continue;
    }
    if (!ip) continue;
    const net = ipValue(pattern.slice(0, slash));
    const prefix = Number(pattern.slice(slash + 1));
    if (!net || net.family !== ip.family) continue;
    const width = ip.family === 4 ? 32 : 128;
    if (prefix === 0 || ip.value >> BigInt(width - prefix) === net.value >> BigInt(width - prefix)) return true;
  }
  return false;
}
