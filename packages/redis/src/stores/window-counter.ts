/**
 * Fixed-window hit counters (e.g. anonymous member applications per client network): one
 * short-lived key per active client, created with the window's TTL and gone with it.
 */
import type { Redis } from 'ioredis';

/** Counts one more hit in the window of `key`; `resetMs` is how long until the window ends. */
export async function countInWindow(redis: Redis, key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
  const replies = await redis.multi().set(key, '0', 'PX', windowMs, 'NX').incr(key).pttl(key).exec();
  const count = Number(replies?.[1]?.[1] ?? 0);
  const ttl = Number(replies?.[2]?.[1] ?? windowMs);
  return { count, resetMs: ttl > 0 ? ttl : windowMs };
}
