/**
 * Soak mode for `npm run bench` (`BENCH_SECTIONS=soak`, `BENCH_SOAK_SECONDS`, default 600;
 * `BENCH_SOAK_RATE`, default 500/s): single-event publish at a fixed rate (open loop) for the
 * whole duration, sampling this process's RSS and V8 heap every 10 s. Prints start, end, max and
 * the least-squares slope of each (MiB per minute): memory is flat when the slope is near zero
 * after the first minute (warm-up: JIT, pools, caches).
 */
import { openLoop, type OpenLoopResult } from './open-loop.ts';

export interface SoakResult {
  seconds: number;
  rate: number;
  publish: OpenLoopResult;
  samples: { t: number; rssMiB: number; heapMiB: number }[];
  summary: string[];
}

const MiB = 1024 * 1024;
const SAMPLE_MS = 10_000;

function slopePerMinute(points: { t: number; v: number }[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mv = points.reduce((a, p) => a + p.v, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.v - mv), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

export async function soak(o: { seconds: number; rate: number; op: () => Promise<boolean>; progress: (line: string) => void }): Promise<SoakResult> {
  const samples: SoakResult['samples'] = [];
  const t0 = performance.now();
  const sample = () => {
    const m = process.memoryUsage();
    const s = { t: (performance.now() - t0) / 1000, rssMiB: m.rss / MiB, heapMiB: m.heapUsed / MiB };
    samples.push(s);
    o.progress(`soak t=${s.t.toFixed(0)} s rss ${s.rssMiB.toFixed(1)} MiB heap ${s.heapMiB.toFixed(1)} MiB`);
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  let publish: OpenLoopResult;
  try {
    publish = await openLoop({ ratePerSecond: o.rate, durationMs: o.seconds * 1000, warmupMs: 0, maxInFlight: 4096, op: o.op });
  } finally {
    clearInterval(timer);
  }
  sample();
  const describe = (name: string, pick: (s: SoakResult['samples'][number]) => number): string => {
    const values = samples.map(pick);
    const after = samples.filter((s) => s.t >= 60);
    const all = slopePerMinute(samples.map((s) => ({ t: s.t, v: pick(s) })));
    const late = slopePerMinute(after.map((s) => ({ t: s.t, v: pick(s) })));
    return `${name}: start ${values[0]?.toFixed(1)} MiB, end ${values.at(-1)?.toFixed(1)} MiB, max ${Math.max(...values).toFixed(1)} MiB, slope ${all.toFixed(2)} MiB/min (after the first minute ${Number.isFinite(late) ? late.toFixed(2) : '-'} MiB/min)`;
  };
  return {
    seconds: o.seconds,
    rate: o.rate,
    publish,
    samples,
    summary: [
      `soak: ${o.seconds} s at ${o.rate}/s offered: ${publish.ok} ok, ${publish.errors} errors, p50 ${publish.p50Ms.toFixed(1)} ms, p99 ${publish.p99Ms.toFixed(1)} ms, p999 ${publish.p999Ms.toFixed(1)} ms`,
      describe('rss', (s) => s.rssMiB),
      describe('heap used', (s) => s.heapMiB),
    ],
  };
}
