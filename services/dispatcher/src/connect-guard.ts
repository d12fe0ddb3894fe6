/**
 * SSRF guard at connect time. Endpoints were checked when registered, but DNS can change
 * afterwards (rebinding), so every new connection is checked again on the address it is about
 * to use: the host is resolved here (resolver injectable for tests), every address it resolves
 * to must be acceptable, and the socket connects to exactly those checked addresses — nothing
 * is resolved twice. IP literals in the URL are checked the same way (the WHATWG URL parser
 * has already turned decimal, octal, hex and short IPv4 forms into dotted quads).
 *
 * Refused: private, loopback (unless allowed: development), link-local, metadata, unspecified
 * and reserved addresses, and IPv4-mapped IPv6 forms of those — unless the host or the address
 * is on the global admin's allowlist (carried in the routing contract). A refusal fails the
 * connection with code `SSRF_BLOCKED` before any socket is opened; the delivery is FAILED.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { allowlistMatches, classifyAddress } from '@roomcast/core';
import { Agent, buildConnector } from 'undici';

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface GuardPolicy {
  /** Development mode: loopback destinations are allowed. */
  allowLoopback: boolean;
  /** Normalised allowlist patterns; read on every connection, so contract changes apply at once. */
  allowlist: () => readonly string[];
}

export class SsrfBlockedError extends Error {
  readonly code = 'SSRF_BLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Why an address may not be connected to, or undefined when it may. */
export function refusal(host: string, address: string, policy: GuardPolicy): string | undefined {
  const patterns = policy.allowlist();
  if (patterns.length > 0 && (allowlistMatches(host, patterns) || allowlistMatches(address, patterns))) return undefined;
  const cls = classifyAddress(address);
  if (cls === 'public') return undefined;
  if (cls === 'loopback' && policy.allowLoopback) return undefined;
  return `${host} resolves to a ${cls} address`;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that resolves with `resolve` and hands back only checked addresses. */
export function guardedLookup(policy: GuardPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), []);
        for (const a of addresses) {
          const why = refusal(hostname, a.address, policy);
          if (why) return callback(new SsrfBlockedError(why), []);
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };
}

export interface GuardedAgentOptions {
  policy: GuardPolicy;
  resolve?: Resolver;
  connections: number;
  /** Connect timeout (ms). */
  connectTimeoutMs?: number;
}

/** An undici Agent whose every new connection passes the guard; redirects are never followed. */
export function guardedAgent(o: GuardedAgentOptions): Agent {
  const lookup = guardedLookup(o.policy, o.resolve);
  const connect = buildConnector({ lookup, timeout: o.connectTimeoutMs ?? 10_000 } as buildConnector.BuildOptions);
  return new Agent({
    connections: o.connections,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    connect(opts, callback) {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) {
        const why = refusal(host, host, o.policy);
        if (why) {
          callback(new SsrfBlockedError(why), null);
          return;
        }
      }
      connect(opts, callback);
    },
  });
}
