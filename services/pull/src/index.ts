/**
 * The pull service: subscribers fetch from their own queue and acknowledge. Thin for now — it
 * follows the routing contract and serves the platform probes; the GovStack pull and confirm
 * routes, leases, long-poll and streams arrive with the pull-and-stream issue.
 */
import type { RoutingFollower } from '@roomcast/routing';
import type { Unit } from '@roomcast/runtime';

export { createPullQueues, pullSettings, type PullQueueSettings } from './queues.ts';

export function createPull(o: { routing: RoutingFollower }): Unit {
  return {
    name: 'pull',
    checks: {
      routing: async () => {
        if (o.routing.current().contract.generation === 0) throw new Error('no routing contract loaded yet');
      },
    },
  };
}
