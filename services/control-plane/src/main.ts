/** Composition root of the control plane run on its own. */
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { migrate } from '@roomcast/db';
import { commonConfigSpec, createRuntime, postgresProbe, preflight, registrationSettings, runMain, runtimeProbes, runtimeSettings, serveUnits, stopOnSignals, tlsListener } from '@roomcast/runtime';
import { controlPlaneConfigSpec } from './config.ts';
import { controlPlaneUnit } from './unit.ts';

await runMain(async () => {
  const config = loadConfig({ ...commonConfigSpec, ...controlPlaneConfigSpec }, process.env);
  const tls = tlsListener(config);
  const registration = registrationSettings(config);
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'control-plane' } });
  await preflight([postgresProbe('ROOMCAST_DATABASE_URL', config.ROOMCAST_DATABASE_URL), ...runtimeProbes(config)]);
  await migrate({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
  const runtime = createRuntime(runtimeSettings(config, 'roomcast-control-plane'), logger);
  const cp = controlPlaneUnit(config, { runtime, logger });
  const served = await serveUnits({ runtime, logger, host: config.ROOMCAST_HOST, port: config.ROOMCAST_PORT, tls, metricsToken: config.ROOMCAST_METRICS_TOKEN, units: [cp], registration });
  cp.listening(served.tlsUrl ?? served.url);
  stopOnSignals(async () => {
    await served.stop();
    await runtime.close();
  }, logger);
});
