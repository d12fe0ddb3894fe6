/**
 * The one doorway to Redis: the connection factory and every key name. Keys all start with a
 * configurable prefix, which is also how tests isolate themselves from each other. The stores
 * built on these keys (delivery status, cancellation marks, …) are in stores/, one per concept.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  /** Fail commands quickly when Redis is down instead of queueing them forever. */
  maxRetriesPerRequest?: number;
}

export function createRedis(options: RedisOptions): Redis {
  return new Redis(options.url, {
    lazyConnect: false,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
    enableAutoPipelining: true,
  });
}

export interface RedisKeys {
  routingContract: string;
  routingChannel: string;
  /** Hash: API key id → epoch milliseconds of its last recorded use. */
  apiKeyLastUsed: string;
  /** Hash {t: tokens, at: ms}: a publish rate-limit token bucket of one publisher or room. */
  rateBucket(scope: 'publisher' | 'room', id: string): string;
  /** String: the dedup record of a publisher-chosen event id (event-ledger.ts), under a 96-bit digest of room id, publisher client id and event id. */
  eventRecord(roomId: string, publisher: string, eventId: string): string;
  /** String: present when the publisher cancelled the event; the dispatcher reads it before each attempt. */
  eventCancelled(roomId: string, publisher: string, eventId: string): string;
  /** Channel: `<ttl ms> <mark key>` announced when a mark is set (the dispatcher's in-memory copy). */
  eventCancelledChannel: string;
  /** Hash: per-subscription delivery state of one event (field: subscription id, value: JSON). */
  deliveryStatus(roomId: string, eventId: string): string;
  /** Stream: what the data plane asks of the control plane (e.g. disable a subscription whose endpoint is gone). */
  dataPlaneFeedback: string;
  /** Prefix of one pull subscription's queue keys (hash-tagged by subscription; the pull service's queues/queue-store.ts appends the rest). */
  pullQueue(subscriptionId: string): string;
  /** Channel: a pull subscription id, published when events became available (long-poll wake-up). */
  pullWake: string;
  /** String with a TTL: anonymous member applications from one client network in the current window. */
  applyWindow(network: string): string;
  /** Hash: process id → JSON entry of a live Roomcast process (stores/process-registry.ts). */
  processes: string;
  /** Sorted set: process id scored by the epoch milliseconds its entry expires at. */
  processExpiry: string;
}

export function redisKeys(prefix: string): RedisKeys {
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(prefix)) throw new Error(`invalid Redis key prefix: ${prefix}`);
  return {
    routingContract: `${prefix}:routing:contract`,
    routingChannel: `${prefix}:routing:changed`,
    apiKeyLastUsed: `${prefix}:api-keys:last-used`,
    applyWindow: (network) => `${prefix}:apply:${createHash('sha256').update(network).digest('base64url').slice(0, 16)}`,
    rateBucket: (scope, id) => `${prefix}:rate:${scope}:${id}`,
    eventRecord: (roomId, publisher, eventId) => `${prefix}:eid:${createHash('sha256').update(`${roomId}\u0000${publisher}\u0000${eventId}`).digest('base64url').slice(0, 16)}`,
    eventCancelled: (roomId, publisher, eventId) => `${prefix}:event-cancelled:${roomId}:${publisher}:${eventId}`,
    eventCancelledChannel: `${prefix}:event-cancelled`,
    dataPlaneFeedback: `${prefix}:feedback:data-plane`,
    deliveryStatus: (roomId, eventId) => `${prefix}:delivery:${roomId}:${eventId}`,
    pullQueue: (subscriptionId) => `${prefix}:pull:{${subscriptionId}}:`,
    pullWake: `${prefix}:pull:wake`,
    processes: `${prefix}:processes`,
    processExpiry: `${prefix}:processes:expiry`,
  };
}

export async function probeRedis(redis: Redis): Promise<void> {
  const pong = await redis.ping();
  if (pong !== 'PONG') throw new Error(`unexpected PING answer: ${pong}`);
}

export { Redis };

/** One PING on a connection of its own that does not retry (a start-up check). */
export async function probeRedisUrl(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null, enableOfflineQueue: false });
  // The connection's own error (ECONNREFUSED, NOAUTH, a TLS failure) says more than the
  // "Connection is closed" that connect() rejects with after it.
  let last: Error | undefined;
  redis.on('error', (err: Error) => {
    last = err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw last && last !== err ? new Error(last.message, { cause: err }) : err;
  } finally {
    redis.disconnect();
  }
}
