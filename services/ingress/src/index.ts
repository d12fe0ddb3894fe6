/**
 * The ingress as a mountable unit: it follows the routing contract, warms schema validators
 * for every event type it names, and serves the publish route with one durable producer.
 */
import type { Logger, MasterKey } from '@roomcast/core';
import { createDurableProducer } from '@roomcast/kafka';
import type { RoutingFollower } from '@roomcast/routing';
import { contractAuthenticator, followDataKeys, type Runtime } from '@roomcast/runtime';
import type { Hono } from 'hono';
import { IngressMetrics } from './metrics.ts';
import { PublishPipeline } from './pipeline.ts';
import { publishRoutes } from './publish.ts';
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
}

export interface IngressUnit {
  routes: Hono[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIngress(o: IngressOptions): IngressUnit {
  const producer = createDurableProducer(o.runtime.kafka);
  const validators = new ValidatorCache(o.runtime.registry, o.logger);
  const warm = () => validators.warm(o.routing.current().contract.rooms.flatMap((r) => r.eventTypes.map((t) => t.schemaId)));
  return {
    routes: [
      publishRoutes({
        pipeline: new PublishPipeline({ routing: o.routing, producer, validators, metrics: new IngressMetrics(o.runtime.metrics), dataKeys: followDataKeys(o.routing, o.masterKeys ?? [], o.logger) }),
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
      await producer.disconnect();
    },
  };
}
