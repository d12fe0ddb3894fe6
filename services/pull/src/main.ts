/** Composition root of the pull service run on its own. */
import { masterKeysOf, pullConfigSpec, runDataPlaneService } from '@roomcast/runtime';
import { createPull, createPullQueues, pullSettings } from './index.ts';

await runDataPlaneService('pull', pullConfigSpec, process.env, ({ config, runtime, routing, logger }) => [
  createPull({ routing }),
  createPullQueues({ runtime, routing, logger, masterKeys: masterKeysOf(config), settings: pullSettings(config) }),
]);
