/** Composition root of the ingress run on its own. */
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { followContract } from '@roomcast/routing';
import { commonConfigSpec, createRuntime, runMain, runtimeSettings, serveUnits, stopOnSignals } from '@roomcast/runtime';
import { createIngress, ingressOpenApi } from './index.ts';

const spec = {
  ...commonConfigSpec,
  ROOMCAST_BODY_LIMIT_BYTES: { kind: 'int', default: String(1024 * 1024), help: 'Largest accepted publish request body, in bytes.' },
} as const;

await runMain(async () => {
  const config = loadConfig(spec, process.env);
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'ingress' } });
  const runtime = createRuntime(runtimeSettings(config, 'roomcast-ingress'), logger);
  const routing = await followContract({ redis: runtime.redis, keys: runtime.keys, logger });
  runtime.onClose(() => routing.stop());
  const ingress = createIngress({ runtime, routing, logger, bodyLimit: config.ROOMCAST_BODY_LIMIT_BYTES });
  const served = await serveUnits({
    runtime,
    logger,
    host: config.ROOMCAST_HOST,
    port: config.ROOMCAST_PORT,
    units: [{ name: 'ingress', routes: ingress.routes, openapi: ingressOpenApi, start: () => ingress.start(), stop: () => ingress.stop() }],
  });
  stopOnSignals(async () => {
    await served.stop();
    await runtime.close();
  }, logger);
});
