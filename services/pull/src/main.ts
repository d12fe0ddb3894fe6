/** Composition root of the pull service run on its own. */
import { runDataPlaneService } from '@roomcast/runtime';
import { createPull } from './index.ts';

await runDataPlaneService('pull', {}, process.env, ({ routing }) => [createPull({ routing })]);
