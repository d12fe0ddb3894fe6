/** Composition root of the dispatcher run on its own (serves probes and metrics only). */
import { encryptionConfigSpec, masterKeysOf, runDataPlaneService } from '@roomcast/runtime';
import { createDispatcher } from './index.ts';

await runDataPlaneService('dispatcher', encryptionConfigSpec, process.env, ({ config, runtime, routing, logger }) => {
  const dispatcher = createDispatcher({ runtime, routing, logger, masterKeys: masterKeysOf(config) });
  return [{ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() }];
});
