/**
 * When each API key was last used, without a database write per request. Every process that
 * authenticates (control plane, ingress) records a use in one Redis hash, at most once per
 * interval per key and process; the control plane merges the hash into key lists and persists
 * it. The throttle is in memory, so the hot path costs a Map lookup.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis.ts';

/** Decides whether a use is worth recording: the first one, then one per interval. Pure. */
export class UseThrottle {
  private readonly last = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly maxEntries: number;

  constructor(intervalMs: number, maxEntries = 100_000) {
    this.intervalMs = intervalMs;
    this.maxEntries = maxEntries;
  }

  due(id: string, now: number): boolean {
    const previous = this.last.get(id);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    if (previous === undefined && this.last.size >= this.maxEntries) this.prune(now);
    this.last.set(id, now);
    return true;
  }

  /** Drops entries whose interval has passed: they would be due anyway. */
  private prune(now: number): void {
    for (const [id, at] of this.last) if (now - at >= this.intervalMs) this.last.delete(id);
    // Still full (every key used within the interval): forget the oldest half.
    if (this.last.size >= this.maxEntries) for (const id of [...this.last.keys()].slice(0, this.maxEntries / 2)) this.last.delete(id);
  }
}

export interface KeyUsage {
  /** Records that a key was used now (throttled; never waits and never throws). */
  touch(keyId: string): void;
  /** The recorded last use of each key that has one. */
  read(keyIds: string[]): Promise<Map<string, Date>>;
  /** Removes keys from the hash (e.g. once revoked and persisted). */
  forget(keyIds: string[]): Promise<void>;
}

export interface KeyUsageOptions {
  intervalMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export function keyUsage(redis: Redis, keys: RedisKeys, options: KeyUsageOptions = {}): KeyUsage {
  const throttle = new UseThrottle(options.intervalMs ?? 60_000);
  const now = options.now ?? Date.now;
  return {
    touch(keyId) {
      const at = now();
      if (!throttle.due(keyId, at)) return;
      redis.hset(keys.apiKeyLastUsed, keyId, String(at)).catch((err: unknown) => options.onError?.(err));
    },
    async read(keyIds) {
      const out = new Map<string, Date>();
      if (keyIds.length === 0) return out;
      const values = await redis.hmget(keys.apiKeyLastUsed, ...keyIds);
      keyIds.forEach((id, i) => {
        const ms = Number(values[i]);
        if (values[i] && Number.isFinite(ms)) out.set(id, new Date(ms));
      });
      return out;
    },
    async forget(keyIds) {
      if (keyIds.length > 0) await redis.hdel(keys.apiKeyLastUsed, ...keyIds);
    },
  };
}
