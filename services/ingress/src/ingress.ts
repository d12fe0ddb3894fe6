/**
 * The ingress's parts wired together: it follows the routing contract, warms schema validators
 * for every event type it names, and serves the publish, batch and status routes with one
 * durable producer. `ingressUnit` (unit.ts) builds it from configuration.
 */
import { ByteBudget, type ByteBudgetSettings, DEFAULT_BYTE_BUDGET } from './byte-budget.ts';
import type { Logger, MasterKey } from '@roomcast/core';
import type { LogStore } from '@roomcast/log';
import { createDurableProducer } from '@roomcast/kafka';
import { deliveryStatusStore } from '@roomcast/redis';
import type { RoutingFollower } from '@roomcast/routing';
import { ApiRouter, type OpenApiPaths } from '@roomcast/http';
import { contractResolvers, followDataKeys, type Runtime } from '@roomcast/runtime';
import type { Hono } from 'hono';
import { batchRoutes } from './batch-routes.ts';
import { EventLedger } from './event-ledger.ts';
import { type BatchingSettings, createPublishBatcher, DEFAULT_BATCHING } from './batching.ts';
import { IngressMetrics } from './metrics.ts';
import { DEFAULT_PAYLOAD_LIMITS } from './payload-checks.ts';
import { PublishPipeline } from './pipeline.ts';
import { publishRoutes } from './publish.ts';
import { DEFAULT_PUBLISH_TIMEOUT_MS, type PublishLimits } from './publish-guard.ts';
import { RateLimiter, type RateLimitSettings } from './rate-limit.ts';
import { statusRoutes } from './status-routes.ts';
import { DEFAULT_VALIDATION, SchemaValidation, type ValidationSettings } from './validation.ts';
import { ValidatorCache } from './validators.ts';

export interface IngressOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  bodyLimit: number;
  /** Master keys unwrapping room data keys (current first); without them classified events are refused. */
  masterKeys?: MasterKey[];
  /** Input hardening, Kafka timeout and batch limits (ingressSettings); defaults when omitted. */
  hardening?: IngressHardening;
  /** Dedup window and status lifetime (default 24 h). */
  dedupWindowMs?: number;
  /** Lifetime of cancellation marks: the topic retention (default 7 days). */
  cancelTtlMs?: number;
  /** Per-publisher and per-room limits (default: none). */
  rateLimits?: RateLimitSettings;
  /** Produce batching (`ROOMCAST_PUBLISH_*`); defaults when absent. */
  batching?: BatchingSettings;
  /** The message log, which answers event status; `waitMs`: how long a miss waits for the sink. */
  log: { store: LogStore; waitMs: number };
}

export interface IngressHardening {
  limits: PublishLimits;
  validation: ValidationSettings;
  byteBudget: ByteBudgetSettings;
  batchMaxItems: number;
  batchBodyLimit: number;
}

const DEFAULT_HARDENING: IngressHardening = {
  limits: { payload: DEFAULT_PAYLOAD_LIMITS, timeoutMs: DEFAULT_PUBLISH_TIMEOUT_MS, retryAfterSeconds: 1 },
  validation: DEFAULT_VALIDATION,
  byteBudget: DEFAULT_BYTE_BUDGET,
  batchMaxItems: 500,
  batchBodyLimit: 8 * 1024 * 1024,
};

export interface IngressUnit {
  routes: Hono[];
  /** OpenAPI paths of the publish, batch and status routes, from the same declarations. */
  openapi: OpenApiPaths;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIngress(o: IngressOptions): IngressUnit {
  const producer = createDurableProducer(o.runtime.kafka);
  const hardening = o.hardening ?? DEFAULT_HARDENING;
  const validators = new ValidatorCache(o.runtime.registry, o.logger, hardening.limits.payload.maxDepth);
  const metrics = new IngressMetrics(o.runtime.metrics);
  const validation = new SchemaValidation(hardening.validation, o.logger, metrics);
  const byteBudget = new ByteBudget(hardening.byteBudget, metrics);
  const { redis, keys } = o.runtime;
  const ledger = new EventLedger({
    redis,
    keys,
    logger: o.logger,
    metrics,
    windowMs: o.dedupWindowMs ?? 24 * 3600_000,
    cancelTtlMs: o.cancelTtlMs ?? 7 * 24 * 3600_000,
  });
  const dataKeys = followDataKeys(o.routing, o.masterKeys ?? [], o.logger);
  const limiter = o.rateLimits ? new RateLimiter({ redis, keys, settings: o.rateLimits, logger: o.logger, metrics }) : undefined;
  const batcher = createPublishBatcher(producer, o.batching ?? DEFAULT_BATCHING, metrics);
  const pipeline = new PublishPipeline({
    routing: o.routing,
    producer,
    batcher,
    validators,
    validation,
    metrics,
    limits: hardening.limits,
    dataKeys,
    limiter,
    ledger,
  });
  // Authenticated from the routing contract in memory, never from Postgres.
  const router = new ApiRouter(contractResolvers(o.routing, o.runtime.keyUsage));
  publishRoutes(router, { pipeline, bodyLimit: o.bodyLimit, byteBudget });
  batchRoutes(router, { pipeline, logger: o.logger, bodyLimit: hardening.batchBodyLimit, maxItems: hardening.batchMaxItems, byteBudget });
  statusRoutes(router, {
    routing: o.routing,
    ledger,
    log: o.log.store,
    waitMs: o.log.waitMs,
    kafka: o.runtime.kafka,
    dataKeys,
    deliveries: deliveryStatusStore(o.runtime.redis, o.runtime.keys),
    logger: o.logger,
  });
  const warm = () => validators.warm(o.routing.current().contract.rooms.flatMap((r) => r.eventTypes.map((t) => t.schemaId)));
  return {
    routes: [router.hono()],
    openapi: router.openapi(),
    async start() {
      await producer.connect();
      o.routing.onChange(() => void warm());
      await warm();
    },
    async stop() {
      await validation.stop();
      await batcher.close();
      await producer.disconnect();
    },
  };
}
