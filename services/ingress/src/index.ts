/**
 * The ingress as a mountable unit: it follows the routing contract, warms schema validators
 * for every event type it names, and serves the publish route with one durable producer.
 */
import type { Logger } from '@roomcast/core';
import { createDurableProducer } from '@roomcast/kafka';
import type { RoutingFollower } from '@roomcast/routing';
import { contractAuthenticator, type Runtime } from '@roomcast/runtime';
import type { Hono } from 'hono';
import { type BatchingSettings, createPublishBatcher, DEFAULT_BATCHING } from './batching.ts';
import { IngressMetrics } from './metrics.ts';
import { PublishPipeline } from './pipeline.ts';
import { publishRoutes } from './publish.ts';
import { ValidatorCache } from './validators.ts';

export { ingressOpenApi } from './openapi.ts';
export { eventKey } from './pipeline.ts';
export { batchingFromConfig, type BatchingSettings } from './batching.ts';

export interface IngressOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  bodyLimit: number;
  /** Produce batching (`ROOMCAST_PUBLISH_*`); defaults when absent. */
  batching?: BatchingSettings;
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
  const batcher = createPublishBatcher(producer, o.batching ?? DEFAULT_BATCHING, metrics);
  const warm = () => validators.warm(o.routing.current().contract.rooms.flatMap((r) => r.eventTypes.map((t) => t.schemaId)));
  return {
    routes: [
      publishRoutes({
        pipeline: new PublishPipeline({ routing: o.routing, producer, batcher, validators, metrics }),
        authenticate: contractAuthenticator(o.routing, o.runtime.keyUsage),
        bodyLimit: o.bodyLimit,
      }),
    ],
    async start() {
      await producer.connect();
      o.routing.onChange(() => void warm());
      await warm();
    },
    async stop() {
      await batcher.close();
      await producer.disconnect();
    },
  };
}
