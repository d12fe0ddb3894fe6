/**
 * Removing a pull subscription's whole queue (every key under `keys.pullQueue(id)`): when the
 * subscription is deleted (the pull feeder) and when a replay moves it while paused (the control
 * plane, decision 0027), so the queue never holds entries from before the move. The queue's own
 * structure is the pull service's (services/pull queues/queue-store.ts).
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis.ts';

/** Deletes every key of the subscription's queue; answers how many keys were removed. */
export async function dropPullQueue(redis: Redis, keys: RedisKeys, subscriptionId: string): Promise<number> {
  const pattern = `${keys.pullQueue(subscriptionId).replace(/[[\]*?\\]/g, '\\$&')}*`;
  let cursor = '0';
  let removed = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (found.length > 0) removed += await redis.del(...found);
  } while (cursor !== '0');
  return removed;
}
