/**
 * Cancellation marks of published events. The ingress sets one when the publisher cancels an
 * event (GovStack `deleteEvent`) and announces it on a channel; the dispatcher keeps the marks in
 * memory (`cancellationWatcher`: a scan at start and after every reconnect, then the channel) and
 * checks them before every delivery attempt, without a Redis round trip per attempt. A mark
 * lives as long as the room topic keeps records, so it outlasts every possible attempt.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis.ts';

/** The part of an ioredis client the marks need. */
export interface MarkClient {
  exists(...keys: string[]): Promise<number>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
}

export interface EventMarks {
  cancel(roomId: string, publisher: string, eventId: string, ttlMs: number): Promise<void>;
  isCancelled(roomId: string, publisher: string, eventId: string): Promise<boolean>;
}

export function eventMarks(redis: MarkClient, keys: RedisKeys): EventMarks {
  return {
    async cancel(roomId, publisher, eventId, ttlMs) {
      const key = keys.eventCancelled(roomId, publisher, eventId);
      await redis.set(key, new Date().toISOString(), 'PX', ttlMs);
      await redis.publish(keys.eventCancelledChannel, `${ttlMs} ${key}`);
    },
    async isCancelled(roomId, publisher, eventId) {
      return (await redis.exists(keys.eventCancelled(roomId, publisher, eventId))) > 0;
    },
  };
}

export interface CancellationWatcher {
  /** Resolves once the marks present at start are loaded. */
  ready: Promise<void>;
  isCancelled(roomId: string, publisher: string, eventId: string): boolean;
  stop(): Promise<void>;
}

/**
 * The cancellation marks held in memory: subscribed to the announcements first, then every
 * existing mark scanned (again after each reconnect, when announcements may have been missed),
 * each kept until its own expiry.
 */
export function cancellationWatcher(redis: Redis, keys: RedisKeys, onError: (err: unknown) => void): CancellationWatcher {
  const marks = new Map<string, number>();
  const conn = redis.duplicate();
  const scanner = redis;
  const remember = (key: string, ttlMs: number) => {
    if (ttlMs > 0) marks.set(key, Date.now() + ttlMs);
  };
  const scan = async () => {
    let cursor = '0';
    do {
      const [next, found] = await scanner.scan(cursor, 'MATCH', keys.eventCancelled('*', '*', '*'), 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) {
        const ttls = await Promise.all(found.map((k) => scanner.pttl(k)));
        for (const [i, k] of found.entries()) remember(k, ttls[i] ?? 0);
      }
    } while (cursor !== '0');
  };
  conn.on('message', (_channel: string, message: string) => {
    const space = message.indexOf(' ');
    remember(message.slice(space + 1), Number(message.slice(0, space)));
  });
  let first = true;
  const ready = (async () => {
    await conn.subscribe(keys.eventCancelledChannel);
    await scan();
  })();
  conn.on('ready', () => {
    if (first) {
      first = false;
      return;
    }
    scan().catch(onError);
  });
  const prune = setInterval(() => {
    const now = Date.now();
    for (const [k, until] of marks) if (until <= now) marks.delete(k);
  }, 60_000);
  prune.unref();
  return {
    ready,
    isCancelled(roomId, publisher, eventId) {
      const until = marks.get(keys.eventCancelled(roomId, publisher, eventId));
      return until !== undefined && until > Date.now();
    },
    async stop() {
      clearInterval(prune);
      conn.disconnect();
    },
  };
}
