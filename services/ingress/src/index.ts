/**
 * The ingress as a mountable unit: it follows the routing contract, warms schema validators
 * for every event type it names, and serves the publish route with one durable producer.
 */
import type { Logger, MasterKey } from '@roomcast/core';
import { createDurableProducer } from '@roomcast/kafka';
import type { RoutingFollower } from '@roomcast/routing';
import { contractAuthenticator, followDataKeys, type Runtime } from '@roomcast/runtime';
import type { Hono } from 'hono';
import { batchRoutes } from './batch-routes.ts';
import { IngressMetrics } from './metrics.ts';
import { DEFAULT_PAYLOAD_LIMITS } from './payload-checks.ts';
import { PublishPipeline } from './pipeline.ts';
import { publishRoutes } from './publish.ts';
import { DEFAULT_PUBLISH_TIMEOUT_MS, type PublishLimits } from './publish-guard.ts';
import { ValidatorCache } from './validators.ts';

export { ingressOpenApi } from './openapi.ts';
export { eventKey } from './pipeline.ts';

export interface IngressOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  bodyLimit: number;
  /** Master keys unwrapping room data keys (current first); without them classified events are refused. */
  masterKeys?: MasterKey[];
  /** Input hardening, Kafka timeout and batch limits (ingressSettings); defaults when omitted. */
  hardening?: IngressHardening;
}

export interface IngressHardening {
  limits: PublishLimits;
  batchMaxItems: number;
  batchBodyLimit: number;
}

/** The hardening settings from the ingress configuration (ingressConfigSpec). */
export function ingressHardening(config: {
  ROOMCAST_PUBLISH_MAX_DEPTH: number;
  ROOMCAST_PUBLISH_MAX_STRING_LENGTH: number;
  ROOMCAST_PUBLISH_TIMEOUT_MS: number;
  ROOMCAST_PUBLISH_BATCH_MAX_ITEMS: number;
  ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES: number;
}): IngressHardening {
  return {
    limits: {
      payload: { maxDepth: config.ROOMCAST_PUBLISH_MAX_DEPTH, maxStringLength: config.ROOMCAST_PUBLISH_MAX_STRING_LENGTH },
      timeoutMs: config.ROOMCAST_PUBLISH_TIMEOUT_MS,
      retryAfterSeconds: 1,
    },
    batchMaxItems: config.ROOMCAST_PUBLISH_BATCH_MAX_ITEMS,
    batchBodyLimit: config.ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES,
  };
}

const DEFAULT_HARDENING: IngressHardening = {
  limits: { payload: DEFAULT_PAYLOAD_LIMITS, timeoutMs: DEFAULT_PUBLISH_TIMEOUT_MS, retryAfterSeconds: 1 },
  batchMaxItems: 500,
  batchBodyLimit: 8 * 1024 * 1024,
};

export interface IngressUnit {
  routes: Hono[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIngress(o: IngressOptions): IngressUnit {
  const producer = createDurableProducer(o.runtime.kafka);
  const validators = new ValidatorCache(o.runtime.registry, o.logger);
  const hardening = o.hardening ?? DEFAULT_HARDENING;
  const pipeline = new PublishPipeline({
    routing: o.routing,
    producer,
    validators,
    metrics: new IngressMetrics(o.runtime.metrics),
    limits: hardening.limits,
    dataKeys: followDataKeys(o.routing, o.masterKeys ?? [], o.logger),
  });
  const authenticate = contractAuthenticator(o.routing, o.runtime.keyUsage);
  const warm = () => validators.warm(o.routing.current().contract.rooms.flatMap((r) => r.eventTypes.map((t) => t.schemaId)));
  return {
    routes: [
      publishRoutes({ pipeline, authenticate, bodyLimit: o.bodyLimit }),
      batchRoutes({ pipeline, authenticate, logger: o.logger, bodyLimit: hardening.batchBodyLimit, maxItems: hardening.batchMaxItems }),
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
