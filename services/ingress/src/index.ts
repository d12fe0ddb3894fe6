/**
 * The ingress as a mountable unit: it follows the routing contract, warms schema validators
 * for every event type it names, and serves the publish route with one durable producer.
 */
import type { Logger } from '@roomcast/core';
import { createDurableProducer } from '@roomcast/kafka';
import type { RoutingFollower } from '@roomcast/routing';
import { contractAuthenticator, type Runtime } from '@roomcast/runtime';
import type { Hono } from 'hono';
import { EventLedger } from './event-ledger.ts';
import { IngressMetrics } from './metrics.ts';
import { PublishPipeline } from './pipeline.ts';
import { publishRoutes } from './publish.ts';
import { RateLimiter, type RateLimitSettings } from './rate-limit.ts';
import { statusRoutes } from './status-routes.ts';
import { ValidatorCache } from './validators.ts';

export { ingressOpenApi } from './openapi.ts';
export { eventKey } from './pipeline.ts';

export interface IngressOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  bodyLimit: number;
  /** Dedup window and status lifetime (default 24 h). */
  dedupWindowMs?: number;
  /** Lifetime of cancellation marks: the topic retention (default 7 days). */
  cancelTtlMs?: number;
  /** Per-publisher and per-room limits (default: none). */
  rateLimits?: RateLimitSettings;
}

/** The ingress settings of a loaded config, for createIngress. */
export function ingressSettings(config: {
  ROOMCAST_BODY_LIMIT_BYTES: number;
  ROOMCAST_DEDUP_WINDOW_MS: number;
  ROOMCAST_TOPIC_RETENTION_MS: number;
  ROOMCAST_RATE_PUBLISHER_PER_SEC: number;
  ROOMCAST_RATE_PUBLISHER_BURST: number;
  ROOMCAST_RATE_ROOM_PER_SEC: number;
  ROOMCAST_RATE_ROOM_BURST: number;
}): Pick<IngressOptions, 'bodyLimit' | 'dedupWindowMs' | 'cancelTtlMs' | 'rateLimits'> {
  return {
    bodyLimit: config.ROOMCAST_BODY_LIMIT_BYTES,
    dedupWindowMs: config.ROOMCAST_DEDUP_WINDOW_MS,
    cancelTtlMs: config.ROOMCAST_TOPIC_RETENTION_MS,
    rateLimits: {
      publisher: { ratePerSec: config.ROOMCAST_RATE_PUBLISHER_PER_SEC, burst: config.ROOMCAST_RATE_PUBLISHER_BURST },
      room: { ratePerSec: config.ROOMCAST_RATE_ROOM_PER_SEC, burst: config.ROOMCAST_RATE_ROOM_BURST },
    },
  };
}

export interface IngressUnit {
  routes: Hono[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIngress(o: IngressOptions): IngressUnit {
  const producer = createDurableProducer(o.runtime.kafka);
  const validators = new ValidatorCache(o.runtime.registry, o.logger);
  const metrics = new IngressMetrics(o.runtime.metrics);
  const { redis, keys } = o.runtime;
  const ledger = new EventLedger({
    redis,
    keys,
    logger: o.logger,
    metrics,
    windowMs: o.dedupWindowMs ?? 24 * 3600_000,
    cancelTtlMs: o.cancelTtlMs ?? 7 * 24 * 3600_000,
  });
  const limiter = o.rateLimits ? new RateLimiter({ redis, keys, settings: o.rateLimits, logger: o.logger, metrics }) : undefined;
  const authenticate = contractAuthenticator(o.routing, o.runtime.keyUsage);
  const warm = () => validators.warm(o.routing.current().contract.rooms.flatMap((r) => r.eventTypes.map((t) => t.schemaId)));
  return {
    routes: [
      publishRoutes({
        pipeline: new PublishPipeline({ routing: o.routing, producer, validators, metrics, limiter, ledger }),
        authenticate,
        bodyLimit: o.bodyLimit,
      }),
      statusRoutes({ routing: o.routing, ledger, authenticate, logger: o.logger }),
    ],
    async start() {
      await producer.connect();
      o.routing.onChange(() => void warm());
      await warm();
    },
    async stop() {
      await producer.disconnect();
    },
  };
}
