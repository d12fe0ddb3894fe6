/**
 * The pull service: pull queues (queues/: subscribers fetch from their own queue in Redis and
 * acknowledge) and live streams (streams/: SSE and WebSocket straight from Kafka). What both use,
 * the delivery-log writer, is at this folder's root. `createPull` serves the probes and, given
 * stream options, the streams; `createPullQueues` is the queues' unit.
 */
import type { RoutingFollower } from '@roomcast/routing';
import type { Unit } from '@roomcast/runtime';
import { createStreams, type StreamOptions } from './streams/unit.ts';

export { createStreams, type StreamOptions, streamSettingsFromConfig } from './streams/unit.ts';
export { createPullQueues, pullSettings, type PullQueueSettings } from './queues/unit.ts';

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
