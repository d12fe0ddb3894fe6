/**
 * Per-subscriber state of deliveries that are not final yet (decision 0020): a Redis hash per
 * event (`{prefix}:delivery:{roomId}:{eventId}`), one field per subscription, written by the
 * dispatcher and the pull service at every attempt and read by the event status route beside the
 * message log (which holds every attempt, final ones included).
 *
 * The write is one Lua call. A final state (DELIVERED, FAILED, CANCELLED) removes the field — the
 * hash disappears with its last field — so Redis holds state only while a delivery is under way,
 * never per event published. A non-final write keeps the highest attempt count seen. The hash
 * expires after `ttlMs` (default 8 days, past the 7-day topic retention) should a process die
 * before the final state.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis.ts';
import { luaScript } from '../scripts.ts';

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
  if final[state] then
    redis.call('HDEL', key, field)
  else
    local old = redis.call('HGET', key, field)
    if old then
      local prev = cjson.decode(old)
      if prev.attempts > attempts then
        local next = cjson.decode(entry)
        next.attempts = prev.attempts
        entry = cjson.encode(next)
      end
    end
    redis.call('HSET', key, field, entry)
    redis.call('PEXPIRE', key, ARGV[1])
  end
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
  /** Entries by subscription id of deliveries not final yet. */
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
