/**
 * Several worker processes of one data-plane service sharing one port (node:cluster). The
 * primary only supervises: it forks the workers, restarts one that crashes, stops them all on
 * SIGINT/SIGTERM and aggregates their metrics. Each worker is the whole service on its own —
 * its own connections, its own routing-contract follower, its own producer — so adding workers
 * multiplies the CPU a service can use without any shared state between them (everything
 * shared lives in Redis and Kafka already). The kernel spreads connections over the workers.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@roomcast/core';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** IPC message from the primary asking a worker to stop gracefully (stopOnSignals handles it). */
export const STOP_MESSAGE = 'roomcast:stop';
const METRICS_REQ = 'roomcast:metrics-req';
const METRICS_RES = 'roomcast:metrics-res';

export interface WorkerSupervisorOptions {
  /** Number of worker processes (≥ 2; with 1 run the service in this process instead). */
  workers: number;
  logger: Logger;
  /** Longest graceful stop before the workers are killed. */
  graceMs?: number;
  /** First delay before a crashed worker is started again; doubles while restarts fail before listening. */
  restartDelayMs?: number;
}

/** True in a worker forked by runWorkers (or any cluster worker). */
export const isClusterWorker = (): boolean => cluster.isWorker;

/**
 * In the primary: forks `workers` copies of the current script and resolves once every one is
 * listening. A worker that exits before its first listen at start rejects (the others are
 * stopped): a configuration or dependency problem would only repeat. After start, a crashed
 * worker is started again after a delay. SIGINT/SIGTERM stop every worker gracefully (a second
 * signal kills them) and then exit this process.
 */
export function runWorkers(o: WorkerSupervisorOptions): Promise<void> {
  const aggregator = new AggregatorRegistry();
  const graceMs = o.graceMs ?? 20_000;
  const baseDelay = o.restartDelayMs ?? 1000;
  let stopping = false;
  let started = false;
  let delay = baseDelay;
  const listening = new WeakSet<Worker>();
  /** Forked and not exited yet (cluster.workers keeps a worker until it also disconnected). */
  const live = new Set<Worker>();

  // A worker serving /metrics asks for the aggregate of all workers (prom-client's cluster protocol).
  cluster.on('message', (worker: Worker, message: unknown) => {
    const m = message as { type?: string; id?: number } | null;
    if (m?.type !== METRICS_REQ) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, text }),
      (err: unknown) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, error: String((err as Error).message ?? err) }),
    );
  });

  const stopAll = (signal: string) => {
    if (stopping) {
      for (const w of live) w.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    o.logger.info('stopping workers', { signal, workers: live.size });
    setTimeout(() => {
      o.logger.error('workers did not stop in time; killing them', { graceMs, left: live.size });
      for (const w of live) w.process.kill('SIGKILL');
      process.exit(1);
    }, graceMs).unref();
    // A listening worker stops gracefully on request; one still starting has nothing to finish
    // (and may not listen for the request yet): SIGTERM ends it.
    for (const w of live) {
      if (listening.has(w) && w.isConnected()) w.send(STOP_MESSAGE);
      else w.process.kill('SIGTERM');
    }
    const check = () => {
      if (live.size === 0) process.exit(0);
    };
    cluster.on('exit', () => setImmediate(check));
    check();
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));

  return new Promise((resolve, reject) => {
    const fork = () => {
      const w = cluster.fork();
      live.add(w);
      w.once('listening', () => {
        listening.add(w);
        delay = baseDelay;
        if (!started && live.size === o.workers && [...live].every((x) => listening.has(x))) {
          started = true;
          o.logger.info('workers listening', { workers: o.workers });
          resolve();
        }
      });
      w.once('exit', (code, signal) => {
        live.delete(w);
        if (stopping) return;
        if (!started) {
          stopping = true;
          for (const x of live) x.process.kill('SIGTERM');
          reject(new Error(`worker ${w.process.pid} exited before it was listening (code ${code}, signal ${signal})`));
          return;
        }
        o.logger.error('worker exited; starting another', { pid: w.process.pid, code, signal, delayMs: delay });
        const wasListening = listening.has(w);
        setTimeout(fork, delay);
        if (!wasListening) delay = Math.min(delay * 2, 30_000);
      });
    };
    for (let i = 0; i < o.workers; i++) fork();
  });
}

/**
 * In a worker: the Prometheus text of every worker together (asked of the primary), so a scrape
 * through the shared port sees the service, not whichever worker answered. `local` is this
 * worker's registry, which the primary collects with the others.
 */
export function clusterMetricsText(local: Registry, timeoutMs = 5000): () => Promise<string> {
  AggregatorRegistry.setRegistries([local]);
  new AggregatorRegistry(); // installs the worker side of prom-client's protocol (answers the primary)
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (message: unknown) => {
    const m = message as { type?: string; id?: number; text?: string; error?: string } | null;
    if (m?.type !== METRICS_RES || m.id === undefined) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('metrics of the other workers did not arrive in time'));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      process.send?.({ type: METRICS_REQ, id });
    });
}
