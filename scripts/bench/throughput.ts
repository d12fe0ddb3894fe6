/**
 * Publish throughput for `npm run bench` (section `throughput`), in one run:
 *
 * - `baseline-batch-B`: the bare producer (same client and settings as the ingress: idempotent,
 *   one request in flight, acks=all) sending batches of B identical publish-sized records with
 *   one `sendBatch` each, back to back — the ceiling for batches of that size.
 * - `publish-open-wN`: single-event HTTP publish to a STANDALONE ingress (services/ingress
 *   main.ts, `N` worker processes sharing its port, `BENCH_INGRESS_WORKERS`), open loop at fixed
 *   rates (`BENCH_RATES`) from a generator spread over worker threads (`BENCH_LOAD_THREADS`), so
 *   neither shares an event loop with the other; latency from the scheduled send time
 *   (p50/p99/p999). Then once more at half the highest rate that was sustained. The mean batch
 *   the ingress formed is read from its /metrics (all workers); its CPU from /proc.
 * - `batch-pipeline-B`: batches of B events through the publish pipeline (validation, record
 *   building, batcher, producer) in this process without HTTP.
 */
import { createLogger } from '@roomcast/core';
import { createDurableProducer } from '@roomcast/kafka';
import { createPublishBatcher, DEFAULT_BATCHING } from '../../services/ingress/src/batching.ts';
import { IngressMetrics } from '../../services/ingress/src/metrics.ts';
import { PublishPipeline } from '../../services/ingress/src/pipeline.ts';
import { ValidatorCache } from '../../services/ingress/src/validators.ts';
import { DEFAULT_VALIDATION, SchemaValidation } from '../../services/ingress/src/validation.ts';
import type { TestPlatform } from '../../test/support/platform.ts';

type Registry = TestPlatform['platform']['runtime']['metrics'];
import { DEMO } from '../lib/demo.ts';
import type { PostSpec } from './http.ts';
import { closedLoop } from './loop.ts';
import { startIngressProcess } from './ingress-process.ts';
import type { OpenLoopResult } from './open-loop.ts';
import { threadedOpenLoop } from './open-loop-worker.ts';
import type { BareProducer } from './producer.ts';

export const BASELINE_BATCHES = [1, 16, 64, 256];
/**
 * Offered rates for single-event publish (events/s; `BENCH_RATES`, comma list). Absolute rates:
 * on a 2-core machine the HTTP path saturates far below the batched producer, so fractions of
 * the baseline would all be overload.
 */
const RATES = (process.env.BENCH_RATES ?? '1000,2000,3000,4000,6000,8000').split(',').map(Number).filter((r) => r > 0);
/** Ingress worker counts to measure (`BENCH_INGRESS_WORKERS`, comma list). */
const WORKERS = (process.env.BENCH_INGRESS_WORKERS ?? '1,2').split(',').map(Number).filter((w) => w > 0);
/** Load generator threads (`BENCH_LOAD_THREADS`). */
const LOAD_THREADS = Number(process.env.BENCH_LOAD_THREADS ?? '2');
/** A rate counts as sustained when this share of it was answered 2xx, nothing shed or failed. */
const SUSTAINED = 0.98;
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
  /** CPU of the standalone ingress (all its processes), percent of one core; NaN when in-process. */
  ingressCpuPct: number;
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
  publishSpec: PostSpec;
  producer: BareProducer;
  durationMs: number;
  /** Settings of the standalone ingress processes (brokers, registry, Redis, the platform's prefix). */
  ingressEnv: Record<string, string>;
  progress: (line: string) => void;
}

const openRow = (scenario: string, r: OpenLoopResult, meanBatch: number, ingressCpuPct: number, note: string): ThroughputRow => ({
  scenario,
  load: `${r.rate.toFixed(0)}/s`,
  eventsPerSecond: r.perSecond,
  p50Ms: r.p50Ms,
  p99Ms: r.p99Ms,
  p999Ms: r.p999Ms,
  errors: r.errors,
  meanBatch,
  cpuPct: r.cpuPct,
  ingressCpuPct,
  note: `${note}max in flight ${r.maxInFlight}${r.shed > 0 ? `, shed ${r.shed}` : ''}`,
});

/** Sum and count of the batch-size histogram in Prometheus text (every worker's together). */
function batchStatsOf(text: string): { sum: number; count: number } {
  const total = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
      .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { sum: total('roomcast_publish_batch_records_sum'), count: total('roomcast_publish_batch_records_count') };
}

export async function benchThroughput(x: ThroughputContext): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];

  // 1. Bare producer, batches of B, one request in flight (as the idempotent producer allows).
  const baseline = new Map<number, number>();
  for (const b of BASELINE_BATCHES) {
    const r = await closedLoop({ concurrency: 1, warmupMs: 500, durationMs: x.durationMs, maxOps: 1_000_000, op: () => x.producer.sendBatch(b) });
    const eps = r.perSecond * b;
    baseline.set(b, eps);
    x.progress(`baseline-batch-${b}: ${eps.toFixed(0)} events/s (request p50 ${r.p50Ms.toFixed(2)} ms)`);
    rows.push({ scenario: `baseline-batch-${b}`, load: 'c=1', eventsPerSecond: eps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: Number.NaN, errors: r.errors, meanBatch: b, cpuPct: r.cpuPct, ingressCpuPct: Number.NaN, note: 'latency per request' });
  }
  const nearest = (mean: number): number =>
    BASELINE_BATCHES.reduce((best, b) => (Math.abs(Math.log(b / mean)) < Math.abs(Math.log(best / mean)) ? b : best), BASELINE_BATCHES[0] ?? 1);
  const reference = baseline.get(64) ?? 1;

  // 2. Single-event publish over HTTP to a standalone ingress of N workers, open loop.
  for (const workers of WORKERS) {
    const ingress = await startIngressProcess({ workers, env: x.ingressEnv });
    try {
      const scenario = `publish-open-w${workers}`;
      const measure = async (rate: number, note = '') => {
        const before = batchStatsOf(await ingress.metrics());
        const cpu0 = ingress.cpuSeconds();
        const t0 = performance.now();
        const result = await threadedOpenLoop({ url: ingress.url, spec: x.publishSpec, ratePerSecond: rate, durationMs: x.durationMs, warmupMs: 1000, maxInFlight: 4096, threads: LOAD_THREADS, connections: 256 });
        const ingressCpu = ((ingress.cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000)) * 100;
        const after = batchStatsOf(await ingress.metrics());
        const meanBatch = after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : Number.NaN;
        const b = Number.isFinite(meanBatch) ? nearest(meanBatch) : 64;
        const ratio = result.perSecond / reference;
        x.progress(
          `${scenario} ${rate}/s: ${result.perSecond.toFixed(0)}/s p50 ${result.p50Ms.toFixed(1)} p99 ${result.p99Ms.toFixed(1)} p999 ${result.p999Ms.toFixed(1)} ms, errors ${result.errors}, mean batch ${meanBatch.toFixed(1)}, ingress cpu ${ingressCpu.toFixed(0)} %`,
        );
        rows.push(openRow(scenario, result, meanBatch, ingressCpu, `${note}${(ratio * 100).toFixed(1)} % of baseline-batch-64 (${((result.perSecond / (baseline.get(b) ?? reference)) * 100).toFixed(1)} % of batch-${b}); `));
        return result;
      };
      // Warm-up (JIT, connections, validators), not recorded: a fresh process is slow for seconds.
      await threadedOpenLoop({ url: ingress.url, spec: x.publishSpec, ratePerSecond: Math.min(...RATES), durationMs: 4000, warmupMs: 0, maxInFlight: 4096, threads: LOAD_THREADS, connections: 256 });
      let best = 0;
      for (const rate of RATES) {
        const r = await measure(rate);
        const sustained = r.errors === 0 && r.perSecond >= rate * SUSTAINED;
        if (sustained) best = Math.max(best, rate);
        // Far past saturation every further rate only sheds.
        if (r.perSecond < rate * 0.6) break;
      }
      if (best > 0) await measure(Math.round(best / 2), `half of the highest sustained rate ${best}/s; `);
    } finally {
      await ingress.stop();
    }
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
        ingressCpuPct: Number.NaN,
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
  const logger = createLogger({ level: 'error' });
  const validators = new ValidatorCache(tp.platform.runtime.registry, logger);
  const validation = new SchemaValidation(DEFAULT_VALIDATION, logger, metrics);
  const pipeline = new PublishPipeline({ routing: tp.platform.routing, producer, batcher, validators, validation, metrics });
  return {
    pipeline,
    registry,
    async close() {
      await validation.stop();
      await batcher.close();
      await producer.disconnect();
    },
  };
}

const num = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : '-');

export function throughputTable(rows: ThroughputRow[]): string {
  const head = ['scenario', 'load', 'events/s', 'p50 ms', 'p99 ms', 'p999 ms', 'errors', 'mean batch', 'bench cpu %', 'ingress cpu %', 'note'];
  const body = rows.map((r) => [r.scenario, r.load, num(r.eventsPerSecond, 0), num(r.p50Ms), num(r.p99Ms), num(r.p999Ms), String(r.errors), num(r.meanBatch, 1), num(r.cpuPct, 0), num(r.ingressCpuPct, 0), r.note]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
