/** The live-stream part of the pull service: its route, its open streams and their metrics. */
import type { Logger, MasterKey } from '@roomcast/core';
import type { OpenApiPaths } from '@roomcast/http';
import type { RoutingFollower } from '@roomcast/routing';
import { ContentFilters, followDataKeys, type Runtime } from '@roomcast/runtime';
import type { Hono } from 'hono';
import { DeliveryLogWriter } from '../delivery-log.ts';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from './event-stream.ts';
import { type StreamLimits, StreamHub } from './hub.ts';
import { StreamMetrics } from './metrics.ts';
import { streamRoutes } from './routes.ts';

export interface StreamOptions {
  runtime: Runtime;
  logger: Logger;
  /** Master keys unwrapping room data keys: classified payloads are decrypted before streaming. */
  masterKeys?: MasterKey[];
  settings?: Partial<StreamSettings & StreamLimits>;
  /** Retention of the delivery-log topic, should this process create it. */
  retentionMs: number;
}

export interface StreamsUnit {
  routes: Hono[];
  openapi: OpenApiPaths;
  hub: StreamHub;
  start(): Promise<void>;
  stop(): Promise<void>;
  drain(): Promise<void>;
}

export function createStreams(routing: RoutingFollower, o: StreamOptions): StreamsUnit {
  const { perSubscription = 4, perProcess = 500, ...rest } = o.settings ?? {};
  const settings: StreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...rest };
  const metrics = new StreamMetrics(o.runtime.metrics);
  const hub = new StreamHub({ routing, limits: { perSubscription, perProcess }, metrics, logger: o.logger });
  const deliveryLog = new DeliveryLogWriter({ kafka: o.runtime.kafka, names: o.runtime.names, logger: o.logger, retentionMs: o.retentionMs, registry: o.runtime.metrics });
  const router = streamRoutes({ runtime: o.runtime, routing, hub, metrics, settings, dataKeys: followDataKeys(routing, o.masterKeys ?? [], o.logger),
    filters: new ContentFilters(o.runtime.metrics, o.logger),
    logger: o.logger,
    deliveryLog,
  });
  return { routes: [router.hono()], openapi: router.openapi(), hub, start: () => deliveryLog.start(), stop: () => deliveryLog.stop(), drain: () => hub.drain() };
}
