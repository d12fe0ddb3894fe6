/**
 * The log API: read-only routes over the message log, under /api/v1/log; the operational
 * monitoring API built on it and on Kafka and the pull queues, under
 * /api/v1/monitoring/operational; and the dead letters of each subscription with their redrive
 * and purge (dead-letter-routes.ts). Authenticated with the routing contract's keys like every
 * data-plane route; scoped by who asks (scope.ts, dead-letter-access.ts).
 */
import type { Logger, MasterKey } from '@roomcast/core';
import { ApiRouter } from '@roomcast/http';
import { createDurableProducer, ensureTopics, INTERNAL_TOPIC_MAX_MESSAGE_BYTES, type Producer } from '@roomcast/kafka';
import type { RoutingFollower } from '@roomcast/routing';
import { contractResolvers, followDataKeys, type Runtime, type Unit } from '@roomcast/runtime';
import { PullStore } from '@roomcast/pull';
import type { MonitoringSettings } from './config.ts';
import { deadLetterRoutes } from './dead-letter-routes.ts';
import { DeadLetterMetrics } from './metrics.ts';
import { backlogRoutes } from './monitoring/backlog-routes.ts';
import { operationalRoutes } from './monitoring/operational-routes.ts';
import type { LogParts } from './unit.ts';
import { proofRoutes } from './proof-routes.ts';
import { searchRoutes } from './search-routes.ts';

export interface RedriveSettings {
  maxEvents: number;
  maxRatePerSec: number;
  /** Partitions and retention of the redrive topic, when this process creates it. */
  partitions: number;
  retentionMs: number;
}

export interface LogApiOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  parts: LogParts;
  logger: Logger;
  monitoring: MonitoringSettings;
  /** Master keys, to show a dead letter's sealed payload to its subscriber and check it before a redrive. */
  masterKeys?: MasterKey[];
  redrive?: Partial<RedriveSettings>;
}

/** The redrive bounds from validated configuration. */
export function redriveSettings(config: { ROOMCAST_REDRIVE_MAX_EVENTS: number; ROOMCAST_REDRIVE_MAX_RATE_PER_SEC: number; ROOMCAST_DEFAULT_PARTITIONS: number; ROOMCAST_TOPIC_RETENTION_MS: number }): RedriveSettings {
  return { maxEvents: config.ROOMCAST_REDRIVE_MAX_EVENTS, maxRatePerSec: config.ROOMCAST_REDRIVE_MAX_RATE_PER_SEC, partitions: config.ROOMCAST_DEFAULT_PARTITIONS, retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS };
}

export function createLogApi(o: LogApiOptions): Unit {
  const { kafka, names } = o.runtime;
  const settings: RedriveSettings = { maxEvents: 1000, maxRatePerSec: 50, partitions: 3, retentionMs: 7 * 24 * 3600_000, ...o.redrive };
  const router = new ApiRouter({
    ...contractResolvers(o.routing, o.runtime.keyUsage),
    // A redrive or purge that happened is its dead_letter_operations row (decision 0026); the
    // router's audit event adds one log line per call, refused ones included.
    audit: async (e) => {
      const fields = { action: e.action, outcome: e.outcome, code: e.code, target: e.target, role: e.principal?.role, client: e.principal?.clientId, member: e.principal?.member, keyId: e.principal?.keyId, requestId: e.requestId, detail: e.detail };
      if (e.outcome === 'SUCCESS') o.logger.info('dead-letter action', fields);
      else o.logger.warn('dead-letter action refused', fields);
    },
  });
  searchRoutes(router, { store: o.parts.store, routing: o.routing });
  proofRoutes(router, { store: o.parts.store, routing: o.routing, signer: o.parts.signer });
  const { centralClients, backlogBudgetMs } = o.monitoring;
  operationalRoutes(router, { store: o.parts.store, routing: o.routing, centralClients });
  const pull = new PullStore(o.runtime.redis, o.runtime.keys);
  backlogRoutes(router, { kafka: o.runtime.kafka, pull, routing: o.routing, centralClients, budgetMs: backlogBudgetMs });
  // The redrive producer connects on the first redrive: a process that never redrives opens nothing.
  let producer: Promise<Producer> | undefined;
  const connect = () => {
    producer ??= (async () => {
      await ensureTopics(kafka, [{ topic: names.redriveTopic(), partitions: settings.partitions, retentionMs: settings.retentionMs, maxMessageBytes: INTERNAL_TOPIC_MAX_MESSAGE_BYTES }]);
      const p = createDurableProducer(kafka);
      await p.connect();
      return p;
    })().catch((err: unknown) => {
      producer = undefined;
      throw err;
    });
    return producer;
  };
  const metrics = new DeadLetterMetrics(o.runtime.metrics);
  deadLetterRoutes(router, {
    store: o.parts.store,
    routing: o.routing,
    kafka,
    producer: connect,
    deadLetterTopic: names.deadLetterTopic(),
    redriveTopic: names.redriveTopic(),
    dataKeys: followDataKeys(o.routing, o.masterKeys ?? [], o.logger),
    maxEvents: settings.maxEvents,
    maxRatePerSec: settings.maxRatePerSec,
    onOperation(action, claimed, failed) {
      metrics.taken.inc({ action }, claimed);
      if (failed > 0) metrics.failed.inc(failed);
      o.logger.info('dead letters taken', { action, claimed, failed });
    },
  });
  return {
    name: 'log-api',
    routes: [router.hono()],
    openapi: router.openapi(),
    checks: { log: () => o.parts.store.probe() },
    async stop() {
      const p = producer;
      producer = undefined;
      await (await p?.catch(() => undefined))?.disconnect();
    },
  };
}
