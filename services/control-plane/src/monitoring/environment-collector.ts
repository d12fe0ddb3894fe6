/**
 * The control plane's side of the process registry: on every tick it reads the live
 * processes, stores each new environment sample their heartbeats carried (the data plane never
 * writes PostgreSQL; a sample per process per sampling interval reaches it this way), rewrites
 * the Prometheus discovery file when the set of targets changed, and hourly deletes samples
 * past the retention. Memory: the last stored sample time per live process, nothing more.
 */
import type { Logger } from '@roomcast/core';
import type { ProcessRegistryStore } from '@roomcast/redis';
import type { ProcessEntry } from '@roomcast/runtime';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EnvironmentStore } from './environment-store.ts';
import { prometheusTargets, sdFileText, writeAtomically } from './prometheus-sd.ts';

const HOUR_MS = 3_600_000;

export interface CollectorOptions {
  store: EnvironmentStore;
  registry: ProcessRegistryStore;
  logger: Logger;
  metrics: Registry;
  intervalMs: number;
  retentionMs: number;
  sdFile?: string | undefined;
}

function isEntry(v: unknown): v is ProcessEntry {
  const e = v as Partial<ProcessEntry> | null;
  return typeof e === 'object' && e !== null && typeof e.processId === 'string' && Array.isArray(e.roles) && typeof e.url === 'string' && typeof e.sample === 'object' && e.sample !== null;
}

export class EnvironmentCollector {
  readonly #o: CollectorOptions;
  readonly #stored = new Map<string, string>();
  readonly #samples: Counter;
  readonly #live: Gauge;
  #sdText: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #lastRetention = 0;

  constructor(o: CollectorOptions) {
    this.#o = o;
    this.#samples = new Counter({ name: 'roomcast_environment_samples_stored_total', help: 'Environment samples of Roomcast processes stored for the monitoring history', registers: [o.metrics] });
    this.#live = new Gauge({ name: 'roomcast_registered_processes', help: 'Live Roomcast processes in the process registry at the last look', registers: [o.metrics] });
  }

  /** Every live process's registry entry (expired ones dropped), oldest start first. */
  async live(): Promise<ProcessEntry[]> {
    const entries = (await this.#o.registry.live()).map((e) => e.entry).filter(isEntry);
    return entries.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.processId.localeCompare(b.processId));
  }

  /** One round: store new samples, refresh discovery, apply retention when due. */
  async tick(now = Date.now()): Promise<void> {
    const live = await this.live();
    this.#live.set(live.length);
    const fresh = live.filter((p) => this.#stored.get(p.processId) !== p.sample.sampledAt);
    const stored = await this.#o.store.save(fresh.map((p) => ({ processId: p.processId, roles: p.roles, sample: p.sample })));
    this.#samples.inc(stored);
    // Only live processes are remembered: the map's size is the registry's.
    const ids = new Set(live.map((p) => p.processId));
    for (const id of this.#stored.keys()) if (!ids.has(id)) this.#stored.delete(id);
    for (const p of fresh) this.#stored.set(p.processId, p.sample.sampledAt);
    if (this.#o.sdFile) {
      const text = sdFileText(prometheusTargets(live.map((p) => ({ url: p.url, roles: p.roles, host: p.host }))));
      if (text !== this.#sdText) {
        await writeAtomically(this.#o.sdFile, text);
        this.#sdText = text;
      }
    }
    if (now - this.#lastRetention >= HOUR_MS) {
      this.#lastRetention = now;
      const deleted = await this.#o.store.deleteBefore(new Date(now - this.#o.retentionMs));
      if (deleted > 0) this.#o.logger.info('environment samples past retention deleted', { deleted });
    }
  }

  start(): void {
    let busy = false;
    const round = () => {
      // A slow round (PostgreSQL or Redis lagging) is not overlapped by the next one.
      if (busy) return;
      busy = true;
      this.#running = this.tick()
        .catch((err: unknown) => this.#o.logger.warn('environment collection failed; retrying', { error: err }))
        .finally(() => {
          busy = false;
        });
    };
    round();
    this.#timer = setInterval(round, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
