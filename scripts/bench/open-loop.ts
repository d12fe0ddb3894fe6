/**
 * Open-loop load: operations are started on a fixed schedule (`ratePerSecond`), whether or not
 * earlier ones have finished, and each latency is measured from the operation's SCHEDULED start
 * — so a stall delays (and is charged to) every operation scheduled during it, instead of
 * silently lowering the offered load (coordinated omission). Bounded: a run stops after
 * `durationMs`, and at most `maxInFlight` operations are outstanding; one that would exceed it
 * is counted as `shed` (an error), never queued in the generator.
 */
import { percentile } from './loop.ts';

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Started before the measured window at the same rate, not recorded. */
  warmupMs: number;
  maxInFlight: number;
  op: () => Promise<boolean>;
}

export interface OpenLoopResult {
  /** Offered rate (operations scheduled per second). */
  rate: number;
  scheduled: number;
  ok: number;
  errors: number;
  /** Operations not started because `maxInFlight` were outstanding. */
  shed: number;
  seconds: number;
  /** Successful operations per second of the measured window (including the tail until the last one answered). */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Highest number of operations outstanding at once: the concurrency this rate produced. */
  maxInFlight: number;
  cpuPct: number;
}

const TICK_MS = 1;

async function attempt(op: () => Promise<boolean>): Promise<boolean> {
  try {
    return await op();
  } catch {
    return false;
  }
}

async function window(o: OpenLoopOptions, ms: number, record: boolean) {
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let scheduled = 0;
  let errors = 0;
  let shed = 0;
  let peak = 0;
  const interval = 1000 / o.ratePerSecond;
  const t0 = performance.now();
  const total = Math.floor((ms / 1000) * o.ratePerSecond);
  while (scheduled < total) {
    const now = performance.now();
    // Start every operation whose scheduled time has come (several per tick at high rates).
    while (scheduled < total && t0 + scheduled * interval <= now) {
      const due = t0 + scheduled * interval;
      scheduled++;
      if (pending.size >= o.maxInFlight) {
        shed++;
        continue;
      }
      const p = attempt(o.op).then((ok) => {
        if (!ok) errors++;
        else if (record) latencies.push(performance.now() - due);
        pending.delete(p);
      });
      pending.add(p);
      if (pending.size > peak) peak = pending.size;
    }
    const next = t0 + scheduled * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(TICK_MS, next)));
  }
  await Promise.all(pending);
  return { latencies, scheduled, errors, shed, peak, seconds: (performance.now() - t0) / 1000 };
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  if (o.warmupMs > 0) await window(o, o.warmupMs, false);
  const cpu0 = process.cpuUsage();
  const w = await window(o, o.durationMs, true);
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(w.latencies).sort();
  return {
    rate: o.ratePerSecond,
    scheduled: w.scheduled,
    ok: w.latencies.length,
    errors: w.errors + w.shed,
    shed: w.shed,
    seconds: w.seconds,
    perSecond: w.latencies.length / w.seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    maxInFlight: w.peak,
    cpuPct: (cpu.user + cpu.system) / 1e4 / w.seconds,
  };
}
