/**
 * Pull queues as a mountable unit: the feeder (Kafka → Redis), the routes (any process serves
 * any subscription), the sweeper (expired leases, lapsed dead-letter claims) and the metrics.
 * The pull service's main.ts and the all-in-one platform both mount it.
 */
import type { Logger, MasterKey } from '@roomcast/core';
import { ApiRouter } from '@roomcast/http';
import { createDurableProducer, ensureTopics, INTERNAL_TOPIC_MAX_MESSAGE_BYTES } from '@roomcast/kafka';
import type { RoutingFollower } from '@roomcast/routing';
import { deliveryStatusStore } from '@roomcast/redis';
import { ContentFilters, contractResolvers, followDataKeys, type Runtime, type Unit } from '@roomcast/runtime';
import { DeadLetters } from './dead-letter.ts';
import { DeliveryLogWriter } from '../delivery-log.ts';
import { Feeder } from './feeder.ts';
import { PullStore } from './queue-store.ts';
import { pullRoutes } from './routes.ts';
import { PullService } from './pull-service.ts';
import { PullMetrics } from './metrics.ts';
import { WakeBoard } from './wake.ts';

export interface PullQueueSettings {
  leaseSeconds: number;
  bufferEvents: number;
  commitIntervalMs: number;
  /** Retention of the dead-letter topic when this process creates it. */
  retentionMs: number;
}

export const DEFAULT_PULL_SETTINGS: PullQueueSettings = { leaseSeconds: 30, bufferEvents: 1000, commitIntervalMs: 1000, retentionMs: 7 * 24 * 3600_000 };

const SWEEP_MS = 1000;

export function createPullQueues(o: { runtime: Runtime; routing: RoutingFollower; logger: Logger; masterKeys?: MasterKey[]; settings?: PullQueueSettings }): Unit {
  const settings = o.settings ?? DEFAULT_PULL_SETTINGS;
  const { runtime, routing, logger } = o;
  const store = new PullStore(runtime.redis, runtime.keys);
  const metrics = new PullMetrics(runtime.metrics, async () => {
    const subs = routing.current().subscriptions('PULL');
    return Promise.all(subs.map(async (s) => ({ subscription: s.id, stats: await store.stats(s.id) })));
  });
  const producer = createDurableProducer(runtime.kafka);
  const deliveryLog = new DeliveryLogWriter({ kafka: runtime.kafka, names: runtime.names, logger, retentionMs: settings.retentionMs, registry: runtime.metrics });
  const deadLetterTopic = runtime.names.deadLetterTopic();
  const wake = new WakeBoard(runtime.redis, runtime.keys.pullWake, logger);
  const dataKeys = followDataKeys(routing, o.masterKeys ?? [], logger);
  const filters = new ContentFilters(runtime.metrics, logger);
  const feeder = new Feeder({ runtime, routing, store, metrics, logger, filters, dataKeys, bufferEvents: settings.bufferEvents, commitIntervalMs: settings.commitIntervalMs });
  const service = new PullService({
    routing,
    store,
    wake,
    metrics,
    deadLetters: new DeadLetters({ producer, topic: deadLetterTopic, store, metrics, logger }),
    dataKeys,
    logger,
    ready: (id) => feeder.ready(id),
    status: deliveryStatusStore(runtime.redis, runtime.keys),
    deliveryLog,
  });
  const router = new ApiRouter(contractResolvers(routing, runtime.keyUsage));
  pullRoutes(router, service, { defaultLeaseSeconds: settings.leaseSeconds });
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping = false;

  return {
    name: 'pull-queues',
    routes: [router.hono()],
    openapi: router.openapi(),
    async start() {
      await ensureTopics(runtime.kafka, [
        { topic: deadLetterTopic, partitions: 3, retentionMs: settings.retentionMs, maxMessageBytes: INTERNAL_TOPIC_MAX_MESSAGE_BYTES },
      ]);
      await deliveryLog.start();
      await producer.connect();
      await wake.start();
      await feeder.start();
      sweeper = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        service
          .sweep(feeder.subscriptions())
          .catch((err: unknown) => logger.warn('pull sweep failed', { error: err }))
          .finally(() => {
            sweeping = false;
          });
      }, SWEEP_MS);
    },
    async stop() {
      clearInterval(sweeper);
      await feeder.stop();
      await wake.close();
      await deliveryLog.stop();
      await producer.disconnect();
    },
  };
}
