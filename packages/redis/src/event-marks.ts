/**
 * Cancellation marks of published events. The ingress sets one when the publisher cancels an
 * event (GovStack `deleteEvent`); the dispatcher reads it before every delivery attempt and
 * treats a cancelled event as final. A mark lives as long as the room topic keeps records, so
 * it outlasts every possible attempt.
 */
import type { RedisKeys } from './redis.ts';

/** The part of an ioredis client the marks need. */
export interface MarkClient {
  exists(...keys: string[]): Promise<number>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
}

export interface EventMarks {
  cancel(roomId: string, publisher: string, eventId: string, ttlMs: number): Promise<void>;
  isCancelled(roomId: string, publisher: string, eventId: string): Promise<boolean>;
}

export function eventMarks(redis: MarkClient, keys: RedisKeys): EventMarks {
  return {
    async cancel(roomId, publisher, eventId, ttlMs) {
      await redis.set(keys.eventCancelled(roomId, publisher, eventId), new Date().toISOString(), 'PX', ttlMs);
    },
    async isCancelled(roomId, publisher, eventId) {
      return (await redis.exists(keys.eventCancelled(roomId, publisher, eventId))) > 0;
    },
  };
}
