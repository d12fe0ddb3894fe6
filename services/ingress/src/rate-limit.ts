/**
 * Publish rate limits per publisher and per room: token buckets in Redis, taken atomically by
 * one Lua script for both buckets (all ingress processes share them; Redis's clock, so the
 * processes' clocks do not matter). Refused → 429 `publish.rate_limited` with `Retry-After`.
 *
 * Leases: a publish with a generated id does not go to Redis for its token. Each process takes
 * tokens from the shared buckets in blocks (one Lua call for both buckets) and spends them
 * locally for at most LEASE_MS; what is left when the lease ends is dropped, never given back,
 * so the shared limit is never exceeded across processes. A block starts at one token and
 * doubles while leases run out before they end, and shrinks to twice what was spent when one
 * ends with tokens left, so a slow publisher leases about what it uses. A refused block is
 * retried as a single token, so near the limit the answer (and its Retry-After) is exact. A
 * publish with a publisher-chosen id takes its token with the id reservation in one call
 * (TAKE_AND_RESERVE), as before.
 *
 * Fallback: when Redis errors or does not answer within `timeoutMs`, the same arithmetic runs in
 * process memory (token-bucket.ts), so publishing keeps working with a per-process limit (N
 * ingress processes admit up to N× the configured rate). The switch is logged once, exported as
 * `roomcast_rate_limit_fallback`, and Redis is tried again after `retryRedisAfterMs`.
 */
import { type Logger, RoomcastError } from '@roomcast/core';
import { luaScript, type RedisKeys, type ScriptClient } from '@roomcast/redis';
import type { IngressMetrics } from './metrics.ts';
import { withTimeout } from './timeout.ts';
import { type BucketLimits, LocalBuckets, retryAfterSeconds } from './token-bucket.ts';

/**
 * The buckets' arithmetic, shared by both scripts: `nb` buckets in KEYS[1..nb]; ARGV n, then
 * rate and burst of each bucket. Leaves `limiting` (1-based index of the bucket that refused, 0
 * when both had `n` tokens and they were taken) and `wait` (ms until it would have them).
 */
const TAKE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
local have = {}
local wait, limiting = 0, 0
for i = 1, nb do
  local key = KEYS[i]
  local rate, burst = tonumber(ARGV[i * 2]), tonumber(ARGV[i * 2 + 1])
  local s = redis.call('HMGET', key, 't', 'at')
  local tokens = burst
  if s[1] then
    local elapsed = math.max(0, now - tonumber(s[2]))
    tokens = math.min(burst, tonumber(s[1]) + elapsed * rate / 1000)
  end
  have[i] = tokens
  if tokens < n then
    local w = math.ceil((n - tokens) * 1000 / rate)
    if w > wait then wait, limiting = w, i end
  end
end
for i = 1, nb do
  local key = KEYS[i]
  local rate, burst = tonumber(ARGV[i * 2]), tonumber(ARGV[i * 2 + 1])
  local left = have[i]
  if limiting == 0 then left = left - n end
  redis.call('HSET', key, 't', tostring(left), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
end
`;

/** KEYS: buckets. Returns {allowed 0/1, wait ms, limiting index (1-based, 0 none)}. */
const TAKE = luaScript(`local nb = #KEYS
${TAKE_LUA}
if limiting == 0 then return {1, 0, 0} end
return {0, wait, limiting}`);

/**
 * The tokens and an event-id reservation (event-ledger.ts) in ONE round trip: KEYS buckets, then
 * the event record; ARGV as TAKE, then the pending record JSON and its TTL. Refused → nothing
 * reserved. Returns TAKE's three values and the existing record (nil when it reserved).
 */
const TAKE_AND_RESERVE = luaScript(`local nb = #KEYS - 1
${TAKE_LUA}
if limiting ~= 0 then return {0, wait, limiting, false} end
local v = redis.call('GET', KEYS[nb + 1])
if v then return {1, 0, 0, v} end
redis.call('SET', KEYS[nb + 1], ARGV[nb * 2 + 2], 'PX', ARGV[nb * 2 + 3])
return {1, 0, 0, false}`);

/** An event-id reservation to make together with the tokens (EventLedger.prepare). */
export interface Reservation {
  key: string;
  /** The pending record JSON (unique per attempt). */
  pending: string;
  ttlMs: number;
}

/** What the reservation found: null when it reserved, else the record already there. */
export interface Reserved {
  existing: string | null;
}

export interface RateLimitSettings {
  /** ratePerSec 0 disables that limit. */
  publisher: BucketLimits;
  room: BucketLimits;
}

export interface RateLimiterOptions {
  redis: ScriptClient;
  keys: RedisKeys;
  settings: RateLimitSettings;
  logger: Logger;
  metrics: IngressMetrics;
  timeoutMs?: number;
  retryRedisAfterMs?: number;
  now?: () => number;
}

type Scope = 'publisher' | 'room';

/** How long leased tokens may be spent. */
export const LEASE_MS = 100;

/** Tokens a process holds for one (publisher, room) pair. */
interface Lease {
  tokens: number;
  until: number;
  /** Size of the block leased last. */
  block: number;
  /** The last request was refused: the next one asks for one token, as without leases. */
  refused: boolean;
}

interface Decision {
  allowed: boolean;
  retryAfterMs: number;
  /** Index of the refusing scope. */
  limiting: number;
  reserved?: Reserved;
}

/** Leases kept at most (pairs of a contract's publishers and rooms); ended ones are dropped beyond it. */
const MAX_LEASES = 10_000;

export class RateLimiter {
  readonly #o: RateLimiterOptions;
  readonly #local = new LocalBuckets();
  /** Epoch ms until which Redis is not tried (0: Redis in use). */
  #localUntil = 0;
  #fallback = false;
  readonly #leases = new Map<string, Lease>();
  /** One block request in flight per pair; others wait for it and spend from it. */
  readonly #leasing = new Map<string, Promise<Decision>>();

  constructor(options: RateLimiterOptions) {
    this.#o = options;
    options.metrics.rateLimitFallback.set(0);
  }

  /** True while decisions are taken in process memory. */
  get usingFallback(): boolean {
    return this.#fallback;
  }

  /**
   * Takes `n` tokens from the publisher's and the room's buckets, or throws 429. With a
   * `reservation` the event id is reserved in the same Redis call (only when the tokens were
   * granted); the answer says what it found. Undefined: no reservation was made (no limit
   * configured, or the decision was taken in process memory) — the ledger reserves itself.
   */
  async take(publisher: string, roomId: string, n = 1, reservation?: Reservation): Promise<Reserved | undefined> {
    const scopes: Array<{ scope: Scope; key: string; limits: BucketLimits }> = [];
    const { publisher: pl, room: rl } = this.#o.settings;
    if (pl.ratePerSec > 0) scopes.push({ scope: 'publisher', key: this.#o.keys.rateBucket('publisher', publisher), limits: pl });
    if (rl.ratePerSec > 0) scopes.push({ scope: 'room', key: this.#o.keys.rateBucket('room', roomId), limits: rl });
    if (scopes.length === 0) return undefined;
    const decision: Decision = reservation ? await this.#decide(scopes, n, reservation) : await this.#fromLease(scopes, n);
    if (decision.allowed) return decision.reserved;
    const scope = scopes[decision.limiting]?.scope ?? 'publisher';
    this.#o.metrics.rateLimited.inc({ room: roomId, scope });
    throw new RoomcastError('publish.rate_limited', {
      detail: scope === 'room' ? 'This room receives more events than its limit' : `${publisher} publishes more events than its limit`,
      headers: { 'retry-after': String(retryAfterSeconds(decision.retryAfterMs)) },
    });
  }

  /** `n` tokens from this process's lease of the pair, leasing a new block when it is spent or over. */
  async #fromLease(scopes: Array<{ key: string; limits: BucketLimits }>, n: number): Promise<Decision> {
    const id = scopes.map((s) => s.key).join('\u0000');
    const maxBlock = Math.max(1, Math.floor(Math.min(...scopes.map((s) => Math.min((s.limits.ratePerSec * LEASE_MS) / 1000, s.limits.burst / 4)))));
    for (;;) {
      const now = (this.#o.now ?? Date.now)();
      const lease = this.#leases.get(id);
      if (lease && now < lease.until && lease.tokens >= n) {
        lease.tokens -= n;
        return { allowed: true, retryAfterMs: 0, limiting: -1 };
      }
      const inFlight = this.#leasing.get(id);
      if (inFlight) {
        await inFlight;
        continue;
      }
      // Spent before it ended: the next block doubles. Ended with tokens left: twice what was spent.
      const block = !lease || lease.refused ? 1 : now < lease.until ? Math.min(maxBlock, lease.block * 2) : Math.max(1, Math.min(maxBlock, 2 * (lease.block - lease.tokens)));
      const request = this.#lease(id, scopes, n, block, now).finally(() => this.#leasing.delete(id));
      this.#leasing.set(id, request);
      return request;
    }
  }

  /** Leases `block` tokens (at least `n`, spending `n` at once), or just `n` when the block is refused. */
  async #lease(id: string, scopes: Array<{ key: string; limits: BucketLimits }>, n: number, block: number, now: number): Promise<Decision> {
    let want = Math.max(n, block);
    let d = await this.#decide(scopes, want, undefined);
    if (!d.allowed && want > n) {
      want = n;
      d = await this.#decide(scopes, n, undefined);
    }
    if (this.#leases.size >= MAX_LEASES) for (const [k, l] of this.#leases) if (l.until <= now) this.#leases.delete(k);
    this.#leases.set(id, { tokens: d.allowed ? want - n : 0, until: (this.#o.now ?? Date.now)() + LEASE_MS, block: want, refused: !d.allowed });
    return d;
  }

  async #decide(
    scopes: Array<{ key: string; limits: BucketLimits }>,
    n: number,
    reservation: Reservation | undefined,
  ): Promise<Decision> {
    const now = (this.#o.now ?? Date.now)();
    if (now >= this.#localUntil) {
      try {
        const args: Array<string | number> = [n, ...scopes.flatMap((s) => [s.limits.ratePerSec, s.limits.burst])];
        const keys = scopes.map((s) => s.key);
        const script = reservation ? TAKE_AND_RESERVE : TAKE;
        if (reservation) {
          keys.push(reservation.key);
          args.push(reservation.pending, reservation.ttlMs);
        }
        const reply = (await withTimeout(script.run(this.#o.redis, keys, args), this.#o.timeoutMs ?? 250)) as [number, number, number, string | null | undefined];
        this.#recovered();
        const allowed = reply[0] === 1;
        return {
          allowed,
          retryAfterMs: Number(reply[1]),
          limiting: Number(reply[2]) - 1,
          ...(reservation && allowed ? { reserved: { existing: reply[3] ?? null } } : {}),
        };
      } catch (err) {
        this.#failed(err, now);
      }
    }
    const local = this.#local.take(
      scopes.map((s) => s.key),
      scopes.map((s) => s.limits),
      now,
      n,
    );
    return local;
  }

  #failed(err: unknown, now: number): void {
    this.#localUntil = now + (this.#o.retryRedisAfterMs ?? 5000);
    if (this.#fallback) return;
    this.#fallback = true;
    this.#o.metrics.rateLimitFallback.set(1);
    this.#o.logger.warn('rate limits fall back to per-process buckets: Redis unavailable', { error: err, retryRedisAfterMs: this.#o.retryRedisAfterMs ?? 5000 });
  }

  #recovered(): void {
    if (!this.#fallback) return;
    this.#fallback = false;
    this.#localUntil = 0;
    this.#o.metrics.rateLimitFallback.set(0);
    this.#o.logger.info('rate limits back on Redis');
  }
}
