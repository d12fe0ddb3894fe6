/**
 * Token-bucket arithmetic (pure, unit-tested). A bucket holds up to `burst` tokens and refills
 * at `ratePerSec`; an event takes one. Several buckets (publisher, room) are taken from
 * together or not at all, so a refused request costs no bucket anything. The Redis script in
 * rate-limit.ts is the same arithmetic, run atomically where every ingress process shares it;
 * `LocalBuckets` runs it in memory when Redis cannot be reached.
 */

export interface BucketLimits {
  ratePerSec: number;
  burst: number;
}

export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
}

/** Tokens in a bucket at `now`: what it had plus what the elapsed time refilled, capped at burst. */
export function refill(state: BucketState | undefined, now: number, limits: BucketLimits): number {
  if (!state) return limits.burst;
  const elapsed = Math.max(0, now - state.at);
  return Math.min(limits.burst, state.tokens + (elapsed * limits.ratePerSec) / 1000);
}

export interface TakeResult {
  allowed: boolean;
  /** The buckets after the decision (refilled; and taken from when allowed). */
  states: BucketState[];
  /** When refused: milliseconds until every bucket holds `n` tokens again. */
  retryAfterMs: number;
  /** When refused: the index of the bucket that waits longest. */
  limiting: number;
}

export function takeAll(states: Array<BucketState | undefined>, limits: BucketLimits[], now: number, n = 1): TakeResult {
  const have = limits.map((l, i) => refill(states[i], now, l));
  let retryAfterMs = 0;
  let limiting = -1;
  have.forEach((tokens, i) => {
    const l = limits[i] as BucketLimits;
    if (tokens >= n) return;
    const wait = Math.ceil(((n - tokens) * 1000) / l.ratePerSec);
    if (wait > retryAfterMs) {
      retryAfterMs = wait;
      limiting = i;
    }
  });
  const allowed = limiting === -1;
  return { allowed, states: have.map((tokens) => ({ tokens: allowed ? tokens - n : tokens, at: now })), retryAfterMs, limiting };
}

/** Milliseconds after which a bucket left alone is full again, i.e. its state can be forgotten. */
export function idleTtlMs(limits: BucketLimits): number {
  return Math.ceil((limits.burst * 1000) / limits.ratePerSec) + 1000;
}

/** `Retry-After` in whole seconds (at least 1). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** In-process buckets: the fallback when Redis is down (a per-process limit). Bounded in size. */
export class LocalBuckets {
  private readonly states = new Map<string, BucketState>();
  private readonly maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.maxEntries = maxEntries;
  }

  take(keys: string[], limits: BucketLimits[], now: number, n = 1): TakeResult {
    const result = takeAll(
      keys.map((k) => this.states.get(k)),
      limits,
      now,
      n,
    );
    if (this.states.size + keys.length > this.maxEntries) this.prune(now, limits);
    keys.forEach((k, i) => void this.states.set(k, result.states[i] as BucketState));
    return result;
  }

  get size(): number {
    return this.states.size;
  }

  /** Forgets buckets idle long enough to be full again (then everything, if still too many). */
  private prune(now: number, limits: BucketLimits[]): void {
    const ttl = Math.max(...limits.map(idleTtlMs));
    for (const [k, s] of this.states) if (now - s.at >= ttl) this.states.delete(k);
    if (this.states.size >= this.maxEntries) this.states.clear();
  }
}
