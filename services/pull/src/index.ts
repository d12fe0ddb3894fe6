/**
 * The pull service: subscribers fetch from their own queue and acknowledge. Thin for now — it
 * follows the routing contract and serves the platform probes; the GovStack pull and confirm
 * routes, leases, long-poll and streams arrive with the pull-and-stream issue.
 */
import type { RoutingFollower } from '@roomcast/routing';
import type { Unit } from '@roomcast/runtime';
import { createStreams, type StreamOptions } from './streams.ts';

export { createStreams, type StreamOptions, streamSettingsFromConfig } from './streams.ts';
export { createPullQueues, pullSettings, type PullQueueSettings } from './queues.ts';

export function createPull(o: { routing: RoutingFollower; streams?: StreamOptions }): Unit {
  const streams = o.streams ? createStreams(o.routing, o.streams) : undefined;
  return {
    name: 'pull',
    ...(streams ? { routes: streams.routes, openapi: streams.openapi, start: streams.start, stop: streams.stop, drain: streams.drain } : {}),
    checks: {
      routing: async () => {
        if (o.routing.current().contract.generation === 0) throw new Error('no routing contract loaded yet');
      },
    },
  };
}
