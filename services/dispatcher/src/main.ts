/** Composition root of the dispatcher run on its own (serves probes and metrics only). */
import { runDataPlaneService } from '@roomcast/runtime';
import { createDispatcher } from './index.ts';

await runDataPlaneService('dispatcher', {}, process.env, ({ runtime, routing, logger }) => {
  const dispatcher = createDispatcher({ runtime, routing, logger });
  return [{ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() }];
});
