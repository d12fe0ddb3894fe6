/**
 * The log API: read-only routes over the message log, under /api/v1/log, and the operational
 * monitoring API built on it and on Kafka and the pull queues, under
 * /api/v1/monitoring/operational. Authenticated with the routing contract's keys like every
 * data-plane route; scoped by who asks (scope.ts).
 */
import type { Logger } from '@roomcast/core';
import { ApiRouter } from '@roomcast/http';
import type { RoutingFollower } from '@roomcast/routing';
import { contractResolvers, type Runtime, type Unit } from '@roomcast/runtime';
import { PullStore } from '@roomcast/pull';
import type { MonitoringSettings } from './config.ts';
import { backlogRoutes } from './monitoring/backlog-routes.ts';
import { operationalRoutes } from './monitoring/operational-routes.ts';
import type { LogParts } from './unit.ts';
import { proofRoutes } from './proof-routes.ts';
import { searchRoutes } from './search-routes.ts';

export interface LogApiOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  parts: LogParts;
  logger: Logger;
  monitoring: MonitoringSettings;
}

export function createLogApi(o: LogApiOptions): Unit {
  const router = new ApiRouter(contractResolvers(o.routing, o.runtime.keyUsage));
  searchRoutes(router, { store: o.parts.store, routing: o.routing });
  proofRoutes(router, { store: o.parts.store, routing: o.routing, signer: o.parts.signer });
  const { centralClients, backlogBudgetMs } = o.monitoring;
  operationalRoutes(router, { store: o.parts.store, routing: o.routing, centralClients });
  const pull = new PullStore(o.runtime.redis, o.runtime.keys);
  backlogRoutes(router, { kafka: o.runtime.kafka, pull, routing: o.routing, centralClients, budgetMs: backlogBudgetMs });
  return { name: 'log-api', routes: [router.hono()], openapi: router.openapi(), checks: { log: () => o.parts.store.probe() } };
}
