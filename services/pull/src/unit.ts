/**
 * The pull service as one unit, from its validated configuration and the process's shared
 * context: its pull queues (GovStack pull, leases, dead letters) and its live streams (SSE and
 * WebSocket). services/pull main.ts and the all-in-one process both build it here.
 */
import { composeUnits, masterKeysOf, type ServiceContext, type Unit } from '@roomcast/runtime';
import { type PullConfig, pullSettings, streamSettingsFromConfig } from './config.ts';
import { createPullQueues } from './queues/unit.ts';
import { createStreams } from './streams/unit.ts';

export function pullUnit(config: PullConfig, ctx: ServiceContext): Unit {
  const { runtime, routing, logger } = ctx;
  const masterKeys = masterKeysOf(config);
  const streams = createStreams(routing, { runtime, logger, masterKeys, settings: streamSettingsFromConfig(config), retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS });
  return composeUnits('pull', [
    {
      name: 'streams',
      routes: streams.routes,
      openapi: streams.openapi,
      start: streams.start,
      stop: streams.stop,
      drain: streams.drain,
      checks: {
        routing: async () => {
          if (routing.current().contract.generation === 0) throw new Error('no routing contract loaded yet');
        },
      },
    },
    createPullQueues({ runtime, routing, logger, masterKeys, settings: pullSettings(config) }),
  ]);
}
