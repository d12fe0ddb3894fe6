/**
 * Composition root of the ingress run on its own: `ROOMCAST_INGRESS_WORKERS` processes
 * (default one per CPU) sharing one port — a supervising primary and workers, each a whole
 * ingress following the routing contract itself (packages/runtime workers.ts). With 1 the
 * ingress runs in this process.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { LogStore, logConfigSpec } from '@roomcast/log';
import { commonConfigSpec, ingressConfigSpec, masterKeysOf, runDataPlaneService, runMain, runWorkers } from '@roomcast/runtime';
import { batchingFromConfig, createIngress, ingressHardening, ingressOpenApi, ingressSettings } from './index.ts';

const spec = { ...ingressConfigSpec, ...logConfigSpec };

async function runIngress(): Promise<void> {
  await runDataPlaneService('ingress', spec, process.env, ({ config, runtime, routing, logger }) => {
    const log = new LogStore({ url: config.ROOMCAST_LOG_DATABASE_URL, schema: config.ROOMCAST_LOG_SCHEMA, maxConnections: 4 });
    runtime.onClose(() => log.close());
    const ingress = createIngress({
      runtime,
      routing,
      logger,
      ...ingressSettings(config),
      masterKeys: masterKeysOf(config),
      hardening: ingressHardening(config),
      batching: batchingFromConfig(config),
      log: { store: log, waitMs: config.ROOMCAST_LOG_STATUS_WAIT_MS },
    });
    return [{ name: 'ingress', routes: ingress.routes, openapi: ingressOpenApi, start: () => ingress.start(), stop: () => ingress.stop() }];
  });
}

if (cluster.isPrimary) {
  await runMain(async () => {
    // Validated here once, so a bad setting is reported by the primary, not by every worker.
    const config = loadConfig({ ...commonConfigSpec, ...spec }, process.env);
    const workers = config.ROOMCAST_INGRESS_WORKERS ?? availableParallelism();
    if (workers <= 1) return runIngress();
    const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'ingress', role: 'primary' } });
    await runWorkers({ workers, logger }).catch((err: unknown) => {
      logger.error('ingress workers did not start', { error: err });
      process.exit(1);
    });
  });
} else {
  await runIngress();
}
