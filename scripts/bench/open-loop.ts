/**
 * Open-loop load: operations are started on a fixed schedule (`ratePerSecond`), whether or not
 * earlier ones have finished, and each latency is measured from the operation's SCHEDULED start
 * — so a stall delays (and is charged to) every operation scheduled during it, instead of
 * silently lowering the offered load (coordinated omission). Bounded: a run stops after
 * `durationMs`, and at most `maxInFlight` operations are outstanding; one that would exceed it
 * is counted as `shed` (an error), never queued in the generator.
 *
 * One schedule covers warm-up and measured window; only operations scheduled in the window are
 * recorded. `startAt` (epoch ms) and `offsetMs` let several generator threads share one
 * interleaved schedule (open-loop-worker.ts).
 */
import { percentile } from './loop.ts';

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Scheduled before the measured window at the same rate, not recorded. */
  warmupMs: number;
  maxInFlight: number;
  op: () => Promise<boolean>;
  /** Epoch ms of the schedule's start (default: now). */
  startAt?: number;
  /** Shift of this generator's schedule, so several generators interleave. */
  offsetMs?: number;
}

/** What one generator recorded: mergeable across generator threads. */
export interface OpenLoopRaw {
  /** Latencies (ms from scheduled start) of successful operations scheduled in the window. */
  latencies: Float64Array;
  scheduled: number;
  errors: number;
  shed: number;
  peak: number;
  /** From the window's start until the last of its operations answered. */
  seconds: number;
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
  /** CPU time of this process (load generator, and servers when they run here) over wall time, in percent of one core. */
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

/** Runs one generator's schedule; the caller merges generators with `summarize`. */
export async function openLoopRaw(o: OpenLoopOptions): Promise<OpenLoopRaw> {
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let scheduled = 0;
  let errors = 0;
  let shed = 0;
  let peak = 0;
  const interval = 1000 / o.ratePerSecond;
  const t0 = (o.startAt !== undefined ? o.startAt - performance.timeOrigin : performance.now()) + (o.offsetMs ?? 0);
  const measureFrom = t0 + o.warmupMs;
  const total = Math.floor(((o.warmupMs + o.durationMs) / 1000) * o.ratePerSecond);
  let measured = 0;
  while (scheduled < total) {
    const now = performance.now();
    // Start every operation whose scheduled time has come (several per tick at high rates).
    while (scheduled < total && t0 + scheduled * interval <= now) {
      const due = t0 + scheduled * interval;
      const record = due >= measureFrom;
      scheduled++;
      if (record) measured++;
      if (pending.size >= o.maxInFlight) {
        if (record) shed++;
        continue;
      }
      const p = attempt(o.op).then((ok) => {
        if (!record) {
          // warm-up: not recorded
        } else if (!ok) errors++;
        else latencies.push(performance.now() - due);
        pending.delete(p);
      });
      pending.add(p);
      if (pending.size > peak) peak = pending.size;
    }
    const next = t0 + scheduled * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(TICK_MS, next)));
  }
  await Promise.all(pending);
  return { latencies: Float64Array.from(latencies), scheduled: measured, errors, shed, peak, seconds: (performance.now() - measureFrom) / 1000 };
}

/** Merges the generators of one run into percentiles and a rate. */
export function summarize(rate: number, parts: OpenLoopRaw[], cpuPct: number): OpenLoopResult {
  const n = parts.reduce((a, p) => a + p.latencies.length, 0);
  const sorted = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    sorted.set(p.latencies, at);
    at += p.latencies.length;
  }
  sorted.sort();
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const errors = parts.reduce((a, p) => a + p.errors, 0);
  const shed = parts.reduce((a, p) => a + p.shed, 0);
  return {
    rate,
    scheduled: parts.reduce((a, p) => a + p.scheduled, 0),
    ok: n,
    errors: errors + shed,
    shed,
    seconds,
    perSecond: n / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: n > 0 ? (sorted[n - 1] ?? Number.NaN) : Number.NaN,
    maxInFlight: parts.reduce((a, p) => a + p.peak, 0),
    cpuPct,
  };
}

/** One generator in this thread. */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const raw = await openLoopRaw(o);
  const cpu = process.cpuUsage(cpu0);
  return summarize(o.ratePerSecond, [raw], (cpu.user + cpu.system) / 1e4 / ((performance.now() - wall0) / 1000));
}
