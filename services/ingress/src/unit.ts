/**
 * The ingress service as one unit, from its validated configuration and the process's shared
 * context: services/ingress main.ts and the all-in-one process (services/all) both build it here.
 */
import { LogStore } from '@roomcast/log';
import { masterKeysOf, type ServiceContext, type Unit } from '@roomcast/runtime';
import { batchingFromConfig, type IngressConfig, ingressHardening, ingressSettings } from './config.ts';
import { createIngress } from './ingress.ts';

/**
 * `logStore`: the message-log reader answering event status, when the process already has one
 * (the all-in-one process shares its own); otherwise the unit opens a small pool of its own.
 */
export function ingressUnit(config: IngressConfig, ctx: ServiceContext & { logStore?: LogStore }): Unit {
  let store = ctx.logStore;
  if (!store) {
    const own = new LogStore({ url: config.ROOMCAST_LOG_DATABASE_URL, schema: config.ROOMCAST_LOG_SCHEMA, maxConnections: 4 });
    ctx.runtime.onClose(() => own.close());
    store = own;
  }
  const ingress = createIngress({
    runtime: ctx.runtime,
    routing: ctx.routing,
    logger: ctx.logger,
    ...ingressSettings(config),
    masterKeys: masterKeysOf(config),
    hardening: ingressHardening(config),
    batching: batchingFromConfig(config),
    log: { store, waitMs: config.ROOMCAST_LOG_STATUS_WAIT_MS },
  });
  return { name: 'ingress', routes: ingress.routes, openapi: ingress.openapi, start: () => ingress.start(), stop: () => ingress.stop() };
}
