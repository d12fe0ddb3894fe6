/** The dispatcher as a mountable unit (no HTTP routes of its own yet). */
import type { Logger, MasterKey } from '@roomcast/core';
import { eventMarks } from '@roomcast/redis';
import type { RoutingFollower } from '@roomcast/routing';
import { followDataKeys, type Runtime } from '@roomcast/runtime';
import { Dispatcher } from './dispatcher.ts';
import { DispatcherMetrics } from './metrics.ts';

export { Dispatcher } from './dispatcher.ts';
export { signOne, signatureHeader, verifySignature } from './signature.ts';

export interface DispatcherUnitOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  requestTimeoutMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Master keys unwrapping room data keys, to decrypt classified payloads before pushing. */
  masterKeys?: MasterKey[];
}

export function createDispatcher(o: DispatcherUnitOptions): Dispatcher {
  return new Dispatcher({
    runtime: o.runtime,
    routing: o.routing,
    logger: o.logger,
    metrics: new DispatcherMetrics(o.runtime.metrics),
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    retryInitialMs: o.retryInitialMs ?? 500,
    retryMaxMs: o.retryMaxMs ?? 60_000,
    dataKeys: followDataKeys(o.routing, o.masterKeys ?? [], o.logger),
    isCancelled: eventMarks(o.runtime.redis, o.runtime.keys).isCancelled,
  });
}
