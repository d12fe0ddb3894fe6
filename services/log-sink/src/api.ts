/**
 * The log API: read-only routes over the message log, under /api/v1/log. Authenticated with the
 * routing contract's keys like every data-plane route; scoped by who asks (scope.ts).
 */
import type { Logger } from '@roomcast/core';
import { ApiRouter } from '@roomcast/http';
import type { RoutingFollower } from '@roomcast/routing';
import { contractResolvers, type Runtime, type Unit } from '@roomcast/runtime';
import type { LogParts } from './unit.ts';
import { proofRoutes } from './proof-routes.ts';
import { searchRoutes } from './search-routes.ts';

export interface LogApiOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  parts: LogParts;
  logger: Logger;
}

export function createLogApi(o: LogApiOptions): Unit {
  const router = new ApiRouter(contractResolvers(o.routing, o.runtime.keyUsage));
  searchRoutes(router, { store: o.parts.store, routing: o.routing });
  proofRoutes(router, { store: o.parts.store, routing: o.routing, signer: o.parts.signer });
  return { name: 'log-api', routes: [router.hono()], openapi: router.openapi(), checks: { log: () => o.parts.store.probe() } };
}
