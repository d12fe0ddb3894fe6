/** Composition root of the pull service run on its own. */
import { runDataPlaneService } from '@roomcast/runtime';
import { pullConfigSpec, streamConfigSpec } from './config.ts';
import { pullUnit } from './unit.ts';

await runDataPlaneService('pull', { ...pullConfigSpec, ...streamConfigSpec }, process.env, (config, ctx) => pullUnit(config, ctx));
