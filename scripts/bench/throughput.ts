/**
 * Publish throughput for `npm run bench` (section `throughput`), in one run:
 *
 * - `baseline-batch-B`: the bare producer (same client and settings as the ingress: idempotent,
 *   one request in flight, acks=all) sending batches of B identical publish-sized records with
 *   one `sendBatch` each, back to back — the ceiling for batches of that size.
 * - `publish-open`: single-event HTTP publish, OPEN loop at fixed rates (`BENCH_RATES`), latency from scheduled send time (p50/p99/p999); the mean batch the ingress
 *   formed at each rate is read from its `roomcast_publish_batch_records` histogram, and the
 *   ratio is against the baseline whose B is nearest to it.
 * - `batch-pipeline-B`: batches of B events through the publish pipeline (validation, record
 *   building, batcher, producer) without HTTP — this tree has no batch publish route yet.
 */
import { createLogger } from '@roomcast/core';
import { createDurableProducer } from '@roomcast/kafka';
import type { Pool } from 'undici';
import { createPublishBatcher, DEFAULT_BATCHING } from '../../services/ingress/src/batching.ts';
import { IngressMetrics } from '../../services/ingress/src/metrics.ts';
import { PublishPipeline } from '../../services/ingress/src/pipeline.ts';
import { ValidatorCache } from '../../services/ingress/src/validators.ts';
import type { TestPlatform } from '../../test/support/platform.ts';

type Registry = TestPlatform['platform']['runtime']['metrics'];
import { DEMO } from '../lib/demo.ts';
import { type PostSpec, postOp } from './http.ts';
import { closedLoop } from './loop.ts';
import { type OpenLoopResult, openLoop } from './open-loop.ts';
import type { BareProducer } from './producer.ts';

export const BASELINE_BATCHES = [1, 16, 64, 256];
/**
 * Offered rates for single-event publish (events/s; `BENCH_RATES`, comma list). Absolute rates:
 * on a 2-core machine the HTTP path saturates far below the batched producer, so fractions of
 * the baseline would all be overload.
 */
const RATES = (process.env.BENCH_RATES ?? '250,500,1000,2000,3000,5000').split(',').map(Number).filter((r) => r > 0);
const PIPELINE_BATCHES = [16, 100];

export interface ThroughputRow {
  scenario: string;
  /** Offered rate (open loop) or concurrency (closed loop, `c=N`). */
  load: string;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  meanBatch: number;
  cpuPct: number;
  note: string;
}

/** Sum and count of the batch-size histogram so far: mean batch of a window = Δsum / Δcount. */
async function batchStats(registry: Registry): Promise<{ sum: number; count: number }> {
  const metric = registry.getSingleMetric('roomcast_publish_batch_records');
  if (!metric) return { sum: 0, count: 0 };
  const { values } = await metric.get();
  const pick = (suffix: string) => (values as { metricName?: string; value: number }[]).find((v) => v.metricName === `roomcast_publish_batch_records_${suffix}`)?.value ?? 0;
  return { sum: pick('sum'), count: pick('count') };
}

async function withBatchMean<T>(registry: Registry, run: () => Promise<T>): Promise<{ result: T; meanBatch: number }> {
  const before = await batchStats(registry);
  const result = await run();
  const after = await batchStats(registry);
  const flushes = after.count - before.count;
  return { result, meanBatch: flushes > 0 ? (after.sum - before.sum) / flushes : Number.NaN };
}

export interface ThroughputContext {
  tp: TestPlatform;
  pool: Pool;
  publishSpec: PostSpec;
  producer: BareProducer;
  durationMs: number;
  progress: (line: string) => void;
}

const openRow = (scenario: string, r: OpenLoopResult, meanBatch: number, note: string): ThroughputRow => ({
  scenario,
  load: `${r.rate.toFixed(0)}/s`,
  eventsPerSecond: r.perSecond,
  p50Ms: r.p50Ms,
  p99Ms: r.p99Ms,
  p999Ms: r.p999Ms,
  errors: r.errors,
  meanBatch,
  cpuPct: r.cpuPct,
  note: `${note}max in flight ${r.maxInFlight}${r.shed > 0 ? `, shed ${r.shed}` : ''}`,
});

export async function benchThroughput(x: ThroughputContext): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const registry = x.tp.platform.runtime.metrics;

  // 1. Bare producer, batches of B, one request in flight (as the idempotent producer allows).
  const baseline = new Map<number, number>();
  for (const b of BASELINE_BATCHES) {
    const r = await closedLoop({ concurrency: 1, warmupMs: 500, durationMs: x.durationMs, maxOps: 1_000_000, op: () => x.producer.sendBatch(b) });
    const eps = r.perSecond * b;
    baseline.set(b, eps);
    x.progress(`baseline-batch-${b}: ${eps.toFixed(0)} events/s (request p50 ${r.p50Ms.toFixed(2)} ms)`);
    rows.push({ scenario: `baseline-batch-${b}`, load: 'c=1', eventsPerSecond: eps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: Number.NaN, errors: r.errors, meanBatch: b, cpuPct: r.cpuPct, note: 'latency per request' });
  }
  const nearest = (mean: number): number =>
    BASELINE_BATCHES.reduce((best, b) => (Math.abs(Math.log(b / mean)) < Math.abs(Math.log(best / mean)) ? b : best), BASELINE_BATCHES[0] ?? 1);
  const reference = baseline.get(64) ?? 1;

  // 2. Single-event publish over HTTP, open loop at fractions of the batch-64 baseline.
  for (const rate of RATES) {
    const { result, meanBatch } = await withBatchMean(registry, () =>
      openLoop({ ratePerSecond: rate, durationMs: x.durationMs, warmupMs: 1000, maxInFlight: 4096, op: postOp(x.pool, x.publishSpec) }),
    );
    const b = Number.isFinite(meanBatch) ? nearest(meanBatch) : 64;
    const ratio = result.perSecond / (baseline.get(b) ?? reference);
    x.progress(
      `publish-open ${rate}/s: ${result.perSecond.toFixed(0)}/s p50 ${result.p50Ms.toFixed(1)} p99 ${result.p99Ms.toFixed(1)} p999 ${result.p999Ms.toFixed(1)} ms, errors ${result.errors}, mean batch ${meanBatch.toFixed(1)}`,
    );
    rows.push(openRow('publish-open', result, meanBatch, `${(ratio * 100).toFixed(1)} % of baseline-batch-${b}; `));
  }

  // 3. Batches through the pipeline's producer path (no batch route in this tree).
  const pipeline = await directPipeline(x.tp);
  try {
    const room = x.tp.platform.routing.current().contract.rooms.find((r) => r.eventTypes.some((t) => t.name === DEMO.eventType));
    if (!room) throw new Error('the demo room is not in the routing contract');
    const address = room.address;
    for (const b of PIPELINE_BATCHES) {
      const items = Array.from({ length: b }, () => ({ eventType: DEMO.eventType, event: DEMO.sampleEvent }));
      const op = async () => {
        const settled = await Promise.allSettled(items.map((body) => pipeline.pipeline.publish({ publisher: DEMO.publisherClient, address, pathType: DEMO.eventType, body })));
        return settled.every((s) => s.status === 'fulfilled');
      };
      const { result: r, meanBatch } = await withBatchMean(pipeline.registry, () => closedLoop({ concurrency: 4, warmupMs: 500, durationMs: x.durationMs, maxOps: 1_000_000, op }));
      const eps = r.perSecond * b;
      const bb = nearest(meanBatch);
      const ratio = eps / (baseline.get(bb) ?? reference);
      x.progress(`batch-pipeline-${b}: ${eps.toFixed(0)} events/s, mean produce batch ${meanBatch.toFixed(1)}, ${(ratio * 100).toFixed(1)} % of baseline-batch-${bb}`);
      rows.push({
        scenario: `batch-pipeline-${b}`,
        load: 'c=4',
        eventsPerSecond: eps,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        p999Ms: Number.NaN,
        errors: r.errors,
        meanBatch,
        cpuPct: r.cpuPct,
        note: `${(ratio * 100).toFixed(1)} % of baseline-batch-${bb}; latency per batch`,
      });
    }
  } finally {
    await pipeline.close();
  }
  return rows;
}

/** A publish pipeline of its own (producer, batcher, validators, metrics) over the platform's routing, for the no-HTTP batch rows. */
async function directPipeline(tp: TestPlatform) {
  // A fresh prom-client registry (the platform's already holds the ingress metric names); prom-client is not a dependency of the scripts.
  const registry = new (tp.platform.runtime.metrics.constructor as new () => Registry)();
  const metrics = new IngressMetrics(registry);
  const producer = createDurableProducer(tp.platform.runtime.kafka);
  await producer.connect();
  const batcher = createPublishBatcher(producer, DEFAULT_BATCHING, metrics);
  const validators = new ValidatorCache(tp.platform.runtime.registry, createLogger({ level: 'error' }));
  const pipeline = new PublishPipeline({ routing: tp.platform.routing, producer, batcher, validators, metrics });
  return {
    pipeline,
    registry,
    async close() {
      await batcher.close();
      await producer.disconnect();
    },
  };
}

const num = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : '-');

export function throughputTable(rows: ThroughputRow[]): string {
  const head = ['scenario', 'load', 'events/s', 'p50 ms', 'p99 ms', 'p999 ms', 'errors', 'mean batch', 'cpu %', 'note'];
  const body = rows.map((r) => [r.scenario, r.load, num(r.eventsPerSecond, 0), num(r.p50Ms), num(r.p99Ms), num(r.p999Ms), String(r.errors), num(r.meanBatch, 1), num(r.cpuPct, 0), r.note]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
