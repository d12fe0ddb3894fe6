/**
 * Composition root of the ingress run on its own: `ROOMCAST_INGRESS_WORKERS` processes
 * (default one per CPU) sharing one port — a supervising primary and workers, each a whole
 * ingress following the routing contract itself (packages/runtime workers.ts). With 1 the
 * ingress runs in this process.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { commonConfigSpec, runDataPlaneService, runMain, runWorkers } from '@roomcast/runtime';
import { ingressConfigSpec } from './config.ts';
import { ingressUnit } from './unit.ts';

const runIngress = () => runDataPlaneService('ingress', ingressConfigSpec, process.env, (config, ctx) => ingressUnit(config, ctx));

if (cluster.isPrimary) {
  await runMain(async () => {
    // Validated here once, so a bad setting is reported by the primary, not by every worker.
    const config = loadConfig({ ...commonConfigSpec, ...ingressConfigSpec }, process.env);
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
