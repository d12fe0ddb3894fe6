/**
 * Control-plane figures for `npm run bench`: how fast a routing change reaches the data plane.
 *
 * - `redis-pubsub` (baseline): one PUBLISH answered by a subscriber connection, one at a time —
 *   the floor of any Redis-carried announcement on this machine.
 * - `routing-change`: one publisher-contract change through the admin API (HTTP, PostgreSQL
 *   transaction, contract rebuild, Redis write and announcement) until the platform's routing
 *   follower holds the new generation, one at a time (changes are serialised by design).
 * - `routing-propagation`: for the same changes, the time from the contract being built to the
 *   follower holding it (pub/sub delivery, GET and indexing), read from the contract's
 *   `createdAt` — so it isolates the channel from the control plane's own work.
 */
import type { TestPlatform } from '../../test/support/platform.ts';
import type { SeededDemo } from '../lib/demo.ts';
import { DEMO } from '../lib/demo.ts';
import { closedLoop, type LoopResult, percentile } from './loop.ts';
import type { Row } from './report.ts';

export async function benchControlPlane(tp: TestPlatform, seeded: SeededDemo, durationMs: number): Promise<Row[]> {
  const { redis } = tp.platform.runtime;
  const channel = `${tp.prefix}:bench:pubsub`;
  const sub = redis.duplicate({ enableReadyCheck: false });
  let waiting: (() => void) | undefined;
  sub.on('message', () => waiting?.());
  await sub.subscribe(channel);
  const pubsub = await closedLoop({
    concurrency: 1,
    warmupMs: 500,
    durationMs,
    maxOps: 200_000,
    op: async () => {
      const got = new Promise<void>((resolve) => {
        waiting = resolve;
      });
      await redis.publish(channel, 'x');
      await got;
      return true;
    },
  });
  await sub.quit().catch(() => sub.disconnect());

  const lags: number[] = [];
  const stopListening = tp.platform.routing.onChange((next) => {
    lags.push(Date.now() - Date.parse(next.contract.createdAt));
  });
  const url = `${tp.platform.url}/api/admin/v1/rooms/${seeded.roomId}/publishers`;
  const headers = { authorization: `Bearer ${tp.adminKey}`, 'content-type': 'application/json' };
  let grant = true;
  const change = await closedLoop({
    concurrency: 1,
    warmupMs: 500,
    durationMs,
    maxOps: 10_000,
    op: async () => {
      const res = grant
        ? await fetch(url, { method: 'POST', headers, body: JSON.stringify({ clientId: DEMO.subscriberClient, eventTypes: [DEMO.eventType] }) })
        : await fetch(`${url}?clientId=${encodeURIComponent(DEMO.subscriberClient)}`, { method: 'DELETE', headers });
      grant = !grant;
      if (!res.ok) return false;
      const generation = Number(((await res.json()) as { generation?: number }).generation);
      await tp.platform.routing.waitFor(generation, 5000);
      return true;
    },
  });
  stopListening();

  const sorted = Float64Array.from(lags).sort();
  const propagation: LoopResult = {
    concurrency: 1,
    ops: lags.length,
    errors: 0,
    seconds: change.seconds,
    perSecond: lags.length / change.seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuPct: change.cpuPct,
  };
  return [
    { scenario: 'redis-pubsub', result: pubsub },
    { scenario: 'routing-change', result: change, ratio: { label: 'p50 vs redis-pubsub', value: pubsub.p50Ms / change.p50Ms } },
    { scenario: 'routing-propagation', result: propagation, ratio: { label: 'p50 vs redis-pubsub', value: pubsub.p50Ms / propagation.p50Ms } },
  ];
}
