/**
 * Closed-loop load: `concurrency` workers each await one operation before starting the next,
 * first for a warm-up that is not recorded, then for a measured window. Both phases are
 * bounded by time and by count, so a run always stops by itself.
 */

export interface LoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on measured operations, whatever the duration. */
  maxOps: number;
  /** One operation; resolves true when it succeeded, false (or throws) when it failed. */
  op: () => Promise<boolean>;
}

export interface LoopResult {
  concurrency: number;
  ops: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of this whole process (load generator and servers) over wall time, in percent of one core. */
  cpuPct: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function attempt(op: () => Promise<boolean>): Promise<boolean> {
  try {
    return await op();
  } catch {
    return false;
  }
}

async function phase(o: LoopOptions, ms: number, maxOps: number, latencies: number[] | null): Promise<number> {
  const deadline = performance.now() + ms;
  let started = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (started < maxOps && performance.now() < deadline) {
      started++;
      const t0 = performance.now();
      const ok = await attempt(o.op);
      if (!ok) errors++;
      else latencies?.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return errors;
}

export async function closedLoop(o: LoopOptions): Promise<LoopResult> {
  await phase(o, o.warmupMs, o.maxOps, null);
  const latencies: number[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const errors = await phase(o, o.durationMs, o.maxOps, latencies);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  return {
    concurrency: o.concurrency,
    ops: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuPct: (cpu.user + cpu.system) / 1e4 / seconds,
  };
}
