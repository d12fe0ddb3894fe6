/** Composition root of the ingress run on its own. */
import { ingressConfigSpec, masterKeysOf, runDataPlaneService } from '@roomcast/runtime';
import { batchingFromConfig, createIngress, ingressHardening, ingressOpenApi, ingressSettings } from './index.ts';

await runDataPlaneService('ingress', ingressConfigSpec, process.env, ({ config, runtime, routing, logger }) => {
  const ingress = createIngress({
    runtime,
    routing,
    logger,
    ...ingressSettings(config),
    masterKeys: masterKeysOf(config),
    hardening: ingressHardening(config),
    batching: batchingFromConfig(config),
  });
  return [{ name: 'ingress', routes: ingress.routes, openapi: ingressOpenApi, start: () => ingress.start(), stop: () => ingress.stop() }];
});
