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

// KEYS: one hash per entry; ARGV: ttl ms, then per entry: field, entry JSON, state, attempts
const RECORD = luaScript(`
local final = { DELIVERED = true, FAILED = true, CANCELLED = true }
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  local field, entry, state, attempts = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], tonumber(ARGV[base + 4])
  local old = redis.call('HGET', key, field)
  if old then
    local prev = cjson.decode(old)
    if final[prev.state] and not final[state] then
      if attempts > prev.attempts then
        prev.attempts = attempts
        entry = cjson.encode(prev)
      else
        entry = nil
      end
    elseif prev.attempts > attempts then
      local next = cjson.decode(entry)
      next.attempts = prev.attempts
      entry = cjson.encode(next)
    end
  end
  if entry then redis.call('HSET', key, field, entry) end
  redis.call('PEXPIRE', key, ARGV[1])
end
return #KEYS
`);

export interface DeliveryStatusWrite {
  roomId: string;
  eventId: string;
  subscriptionId: string;
  entry: DeliveryStatusEntry;
}

export interface DeliveryStatusStore {
  record(roomId: string, eventId: string, subscriptionId: string, entry: DeliveryStatusEntry): Promise<void>;
  /** Many writes in one script call (in order: a later write of the same field sees the earlier one). */
  recordMany(writes: DeliveryStatusWrite[]): Promise<void>;
  /** Entries by subscription id (subscriptions without one have not been tried yet: QUEUED). */
  read(roomId: string, eventId: string): Promise<Map<string, DeliveryStatusEntry>>;
}

export function deliveryStatusStore(redis: Redis, keys: RedisKeys, ttlMs = 8 * 24 * 3600 * 1000): DeliveryStatusStore {
  const recordMany = async (writes: DeliveryStatusWrite[]): Promise<void> => {
      if (writes.length === 0) return;
      const args: Array<string | number> = [ttlMs];
      for (const w of writes) args.push(w.subscriptionId, JSON.stringify(w.entry), w.entry.state, w.entry.attempts);
    await RECORD.run(
      redis,
      writes.map((w) => keys.deliveryStatus(w.roomId, w.eventId)),
      args,
    );
  };
  return {
    record: (roomId, eventId, subscriptionId, entry) => recordMany([{ roomId, eventId, subscriptionId, entry }]),
    recordMany,
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
