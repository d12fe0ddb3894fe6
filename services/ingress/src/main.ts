/** Composition root of the ingress run on its own. */
import { ingressConfigSpec, runDataPlaneService } from '@roomcast/runtime';
import { batchingFromConfig, createIngress, ingressOpenApi } from './index.ts';

await runDataPlaneService('ingress', ingressConfigSpec, process.env, ({ config, runtime, routing, logger }) => {
  const ingress = createIngress({ runtime, routing, logger, bodyLimit: config.ROOMCAST_BODY_LIMIT_BYTES, batching: batchingFromConfig(config) });
  return [{ name: 'ingress', routes: ingress.routes, openapi: ingressOpenApi, start: () => ingress.start(), stop: () => ingress.stop() }];
});
