/**
 * The open-loop generator spread over worker threads, so that at high rates the generator's own
 * event loop (undici, timers, bookkeeping) is not what limits the measured server. Each thread
 * has its own connection pool and runs `ratePerSecond / threads` on one shared, interleaved
 * schedule (same start, thread i shifted by i scheduled intervals), recording latency from the
 * scheduled send time; the main thread merges the recordings. This file is both the API (main
 * thread) and the thread body (when loaded as a worker).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import type { PostSpec } from './http.ts';
import { type OpenLoopRaw, type OpenLoopResult, openLoopRaw, summarize } from './open-loop.ts';

export interface ThreadedOpenLoopOptions {
  url: string;
  spec: PostSpec;
  ratePerSecond: number;
  durationMs: number;
  warmupMs: number;
  /** Most operations outstanding over all threads; beyond it operations are shed (errors). */
  maxInFlight: number;
  threads: number;
  /** HTTP connections over all threads. */
  connections: number;
}

interface ThreadJob extends ThreadedOpenLoopOptions {
  kind: 'roomcast-open-loop';
  index: number;
  startAt: number;
}

/** Runs one open-loop window over `threads` worker threads and merges their latencies. */
export async function threadedOpenLoop(o: ThreadedOpenLoopOptions): Promise<OpenLoopResult> {
  const threads = Math.max(1, o.threads);
  // Start a little later so every thread is loaded before its first scheduled operation.
  const startAt = performance.timeOrigin + performance.now() + 500;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, index) => {
      const job: ThreadJob = { ...o, kind: 'roomcast-open-loop', index, threads, startAt };
      return new Promise<OpenLoopRaw>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: job });
        w.once('message', (raw: OpenLoopRaw) => resolve(raw));
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`load generator thread exited with ${code}`)));
      });
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return summarize(o.ratePerSecond, parts, (cpu.user + cpu.system) / 1e4 / ((performance.now() - wall0) / 1000));
}

async function threadMain(job: ThreadJob): Promise<void> {
  const pool = new Pool(job.url, { connections: Math.max(1, Math.ceil(job.connections / job.threads)) });
  const { spec } = job;
  const op = async () => {
    const res = await pool.request({ path: spec.path, method: 'POST', headers: spec.headers, body: spec.body });
    await res.body.dump();
    return res.statusCode === spec.expectStatus;
  };
  try {
    const raw = await openLoopRaw({
      ratePerSecond: job.ratePerSecond / job.threads,
      durationMs: job.durationMs,
      warmupMs: job.warmupMs,
      maxInFlight: Math.max(1, Math.floor(job.maxInFlight / job.threads)),
      op,
      startAt: job.startAt,
      offsetMs: (job.index * 1000) / job.ratePerSecond,
    });
    parentPort?.postMessage(raw, [raw.latencies.buffer as ArrayBuffer]);
  } finally {
    await pool.close();
  }
}

if (!isMainThread && (workerData as ThreadJob | undefined)?.kind === 'roomcast-open-loop') {
  await threadMain(workerData as ThreadJob);
}
