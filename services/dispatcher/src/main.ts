/** Composition root of the dispatcher run on its own (serves probes and metrics only). */
import { runDataPlaneService } from '@roomcast/runtime';
import { dispatcherConfigSpec } from './config.ts';
import { dispatcherUnit } from './unit.ts';

await runDataPlaneService('dispatcher', dispatcherConfigSpec, process.env, (config, ctx) => dispatcherUnit(config, ctx));
