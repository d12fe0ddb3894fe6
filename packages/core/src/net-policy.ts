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
  if (isIP(host)) {
    const cls = classifyAddress(host);
    if (cls === 'public') return undefined;
    if (cls === 'loopback' && policy.devMode) return undefined;
    return `points at a ${cls} address`;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return policy.devMode ? undefined : 'points at a loopback address';
  return undefined;
}
