/**
 * The registry of live Roomcast processes: one hash field per process (its JSON entry) and a
 * sorted set of the same ids scored by when each entry expires. A heartbeat rewrites the entry
 * and pushes its expiry forward; every write and every read first drops the entries whose
 * expiry has passed (a process killed without deregistering), so both keys hold exactly the
 * live processes — their size never grows with events published or with restarts over time.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis.ts';
import { luaScript } from '../scripts.ts';

/** KEYS: hash, zset. ARGV: now ms. Drops expired entries; answers how many. */
const PRUNE = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for i = 1, #gone do redis.call('HDEL', KEYS[1], gone[i]) end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1]) end
return #gone
`;

/** KEYS: hash, zset. ARGV: now ms, id, entry JSON, expires-at ms, key TTL ms. */
const BEAT = `
${PRUNE.replace('return #gone', '')}
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
local ttl = tonumber(ARGV[5])
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`;

const prune = luaScript(PRUNE);
const beat = luaScript(BEAT);

export interface ProcessRegistryStore {
  /** Writes (or refreshes) a process's entry, live for `ttlMs` from now. */
  beat(id: string, entry: unknown, ttlMs: number): Promise<void>;
  /** Removes a process's entry (graceful stop). */
  remove(id: string): Promise<void>;
  /** The entries of every live process, after dropping the expired ones. */
  live(): Promise<Array<{ id: string; entry: unknown; expiresAt: number }>>;
}

export function processRegistryStore(redis: Redis, keys: RedisKeys, now: () => number = Date.now): ProcessRegistryStore {
  const k = [keys.processes, keys.processExpiry];
  return {
    async beat(id, entry, ttlMs) {
      const t = now();
      // The keys themselves expire too, a while after the last heartbeat of any process.
      await beat.run(redis, k, [t, id, JSON.stringify(entry), t + ttlMs, ttlMs * 4]);
    },
    async remove(id) {
      await redis.multi().hdel(keys.processes, id).zrem(keys.processExpiry, id).exec();
    },
    async live() {
      await prune.run(redis, k, [now()]);
      const [entries, scores] = await Promise.all([redis.hgetall(keys.processes), redis.zrange(keys.processExpiry, 0, -1, 'WITHSCORES')]);
      const expiry = new Map<string, number>();
      for (let i = 0; i + 1 < scores.length; i += 2) expiry.set(scores[i] as string, Number(scores[i + 1]));
      const out: Array<{ id: string; entry: unknown; expiresAt: number }> = [];
      for (const [id, text] of Object.entries(entries)) {
        const expiresAt = expiry.get(id);
        if (expiresAt === undefined) continue;
        try {
          out.push({ id, entry: JSON.parse(text) as unknown, expiresAt });
        } catch {
          // A malformed entry is skipped; it expires with its process.
        }
      }
      return out;
    },
  };
}
