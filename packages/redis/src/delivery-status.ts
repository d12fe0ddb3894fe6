/**
 * Per-subscriber delivery state of each event, for "did event X reach all seven subscribers?"
 * in one call: a Redis hash per event (`{prefix}:delivery:{roomId}:{eventId}`), one field per
 * subscription, written by the dispatcher at every attempt and read by the event status route.
 *
 * The write is one Lua call that never turns a final state (DELIVERED, FAILED, CANCELLED) back
 * into a non-final one — a redelivery after a crash must not make a delivered event look
 * pending — and keeps the highest attempt count seen. The hash expires with the dedup window's
 * order of magnitude (default 8 days, past the 7-day topic retention).
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis.ts';
import { luaScript } from './scripts.ts';

export type DeliveryState = 'QUEUED' | 'SENT' | 'DELIVERED' | 'ERRORED' | 'FAILED' | 'CANCELLED';

export interface DeliveryStatusEntry {
  state: DeliveryState;
  attempts: number;
  /** HTTP status of the last attempt, when there was a response. */
  lastStatus: number | null;
  /** Why the last attempt did not deliver (e.g. `HTTP 503`, `UND_ERR_CONNECT_TIMEOUT`, `window`). */
  lastError: string | null;
  updatedAt: string;
}

const FINAL = ['DELIVERED', 'FAILED', 'CANCELLED'];

// KEYS[1] hash; ARGV: field, entry JSON, state, attempts, ttl ms
const RECORD = luaScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local entry = ARGV[2]
if old then
  local prev = cjson.decode(old)
  local final = { DELIVERED = true, FAILED = true, CANCELLED = true }
  if final[prev.state] and not final[ARGV[3]] then
    if tonumber(ARGV[4]) > prev.attempts then
      prev.attempts = tonumber(ARGV[4])
      entry = cjson.encode(prev)
    else
      entry = nil
    end
  elseif prev.attempts > tonumber(ARGV[4]) then
    local next = cjson.decode(entry)
    next.attempts = prev.attempts
    entry = cjson.encode(next)
  end
end
if entry then redis.call('HSET', KEYS[1], ARGV[1], entry) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`);

export interface DeliveryStatusStore {
  record(roomId: string, eventId: string, subscriptionId: string, entry: DeliveryStatusEntry): Promise<void>;
  /** Entries by subscription id (subscriptions without one have not been tried yet: QUEUED). */
  read(roomId: string, eventId: string): Promise<Map<string, DeliveryStatusEntry>>;
}

export function deliveryStatusStore(redis: Redis, keys: RedisKeys, ttlMs = 8 * 24 * 3600 * 1000): DeliveryStatusStore {
  return {
    async record(roomId, eventId, subscriptionId, entry) {
      await RECORD.run(redis, [keys.deliveryStatus(roomId, eventId)], [subscriptionId, JSON.stringify(entry), entry.state, entry.attempts, ttlMs]);
    },
    async read(roomId, eventId) {
      const raw = await redis.hgetall(keys.deliveryStatus(roomId, eventId));
      const out = new Map<string, DeliveryStatusEntry>();
      for (const [sub, text] of Object.entries(raw)) {
        try {
          out.set(sub, JSON.parse(text) as DeliveryStatusEntry);
        } catch {
          // an unreadable field is left out; the subscription then shows as QUEUED
        }
      }
      return out;
    },
  };
}

export function isFinalState(state: DeliveryState): boolean {
  return FINAL.includes(state);
}
