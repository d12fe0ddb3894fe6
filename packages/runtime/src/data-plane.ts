/**
 * The composition shared by every data-plane process run on its own (ingress, dispatcher,
 * pull): load and validate settings, build the runtime, follow the routing contract, serve the
 * units the service builds, and stop everything on SIGINT/SIGTERM.
 */
import { type ConfigOf, type ConfigSpec, createLogger, type Logger, type LogLevel, loadConfig } from '@roomcast/core';
import type { RoutingFollower } from '@roomcast/routing';
import { commonConfigSpec } from './config.ts';
import { preflight, runtimeProbes } from './preflight.ts';
import { registrationSettings } from './process-registry.ts';
import { createRuntime, exportRoutingGeneration, followRouting, type Runtime, runMain, runtimeSettings, stopOnSignals } from './runtime.ts';
import { serveUnits, type Unit } from './serve.ts';
import { tlsListener } from './tls.ts';
import { clusterMetricsText, isClusterWorker } from './workers.ts';

/**
 * What a data-plane service's unit is built from besides its own validated config: the
 * process's shared connections, the routing contract it follows, and its logger. Each
 * service exports one `<service>Unit(config, ctx)`; its main.ts and the all-in-one process
 * (services/all) both call it.
 */
export interface ServiceContext {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
}

export function runDataPlaneService<S extends ConfigSpec>(
  name: string,
  spec: S,
  env: Record<string, string | undefined>,
  build: (config: ConfigOf<typeof commonConfigSpec> & ConfigOf<S>, ctx: ServiceContext) => Unit | Unit[] | Promise<Unit | Unit[]>,
): Promise<void> {
  return runMain(async () => {
    // One load over the merged spec, so every problem is reported at once.
    const config = loadConfig({ ...commonConfigSpec, ...spec }, env) as unknown as ConfigOf<typeof commonConfigSpec> & ConfigOf<S>;
    const tls = tlsListener(config);
    const registration = registrationSettings(config);
    const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: name } });
    await preflight(runtimeProbes(config));
    const runtime = createRuntime(runtimeSettings(config, `roomcast-${name}`), logger);
    const routing = await followRouting(runtime, logger);
    runtime.onClose(() => routing.stop());
    exportRoutingGeneration(runtime.metrics, routing);
    const units = [await build(config, { runtime, routing, logger })].flat();
    // A cluster worker (workers.ts) answers /metrics for all workers of the service.
    const metricsText = isClusterWorker() ? clusterMetricsText(runtime.metrics) : undefined;
    const served = await serveUnits({ runtime, logger, host: config.ROOMCAST_HOST, port: config.ROOMCAST_PORT, tls, units, metricsText, metricsToken: config.ROOMCAST_METRICS_TOKEN, registration });
    stopOnSignals(async () => {
      await served.stop();
      await runtime.close();
    }, logger);
  });
}
