/**
 * Which outbound destinations a push subscription may name. Checked when an endpoint is
 * registered (here, on the URL and any IP literal in it) and again at connect time on the
 * resolved address (the dispatcher), because DNS can change between the two.
 */
import { isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unspecified' | 'reserved';

function v4Class(ip: string): AddressClass {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224) return 'reserved'; // multicast and class E, broadcast
  if ((a === 192 && b === 0 && c === 0) || (a === 198 && (b === 18 || b === 19))) return 'reserved';
  return 'public';
}

/** Classifies an IP literal; IPv4-mapped IPv6 addresses are classified as their IPv4 address. */
export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip);
  if (family === 4) return v4Class(ip);
  if (family !== 6) return 'reserved';
  const lower = ip.toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped?.[1]) return v4Class(mapped[1]);
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hexMapped) {
    const hi = Number.parseInt(hexMapped[1] ?? '0', 16);
    const lo = Number.parseInt(hexMapped[2] ?? '0', 16);
    return v4Class(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (lower === '::1') return 'loopback';
  if (lower === '::') return 'unspecified';
  if (lower.startsWith('fd00:ec2::254')) return 'metadata';
  if (/^fe[89ab]/.test(lower)) return 'link-local';
  if (/^f[cd]/.test(lower)) return 'private';
  if (/^ff/.test(lower)) return 'reserved';
  return 'public';
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
  const host = url.hostname.replace(/^\[|\]$/g, '');
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
  if (host === 'localhost' || host.endsWith('.localhost')) return policy.devMode ? undefined : 'points at a loopback address';
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

function ipValue(ip: string): IpValue | undefined {
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
  const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  // IPv4-mapped addresses (::ffff:a.b.c.d) are matched as the IPv4 address they carry.
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
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
