/**
 * Where a payload is checked against its event type's schema, so that no schema an owner can
 * register and no payload within the body limit holds the shared event loop (decision 0021).
 *
 * The cost of one validation is bounded before it runs: the schema's unfolded cost (subschema
 * applications per payload value, computed once per schema id) × the payload's size (values +
 * string characters, measured by the input checks that already walk it). Patterns run on a
 * linear-time engine and `uniqueItems` is linear, so that product bounds the work up to a
 * constant.
 *
 * - cost ≤ `inlineCost`: validated inline, on the event loop (almost every event: a 2 KB event
 *   against a flat schema costs a few thousand units, a few microseconds).
 * - above it, or a schema too large to compile inline: sent to a small pool of worker threads.
 *   Each validation there has a time budget; when it is spent the worker is terminated (and a
 *   new one started) and the publish is refused with 422 `publish.validation_too_costly`, never
 *   retried. A schema whose validations spend the budget three times within a minute is refused
 *   at once for the next minute, without occupying a worker.
 * - waiting validations queue per publisher and the workers take them round-robin across
 *   publishers, so one publisher's costly events delay another's by at most one validation
 *   each. The queues are bounded, in total and per publisher: beyond them a publish answers 503
 *   `publish.validation_busy` (retryable).
 * - a worker's heap is capped too (WORKER_HEAP_MB): a validation that runs out of it is refused
 *   as too costly, like one that runs out of time.
 */
import { Worker } from 'node:worker_threads';
import { type FieldError, type Logger, RoomcastError } from '@roomcast/core';
import type { IngressMetrics } from './metrics.ts';
import type { PayloadSize } from './payload-checks.ts';
import type { WorkerReply, WorkerRequest } from './validation-worker.ts';
import type { CachedSchema } from './validators.ts';

export interface ValidationSettings {
  /** Largest unfolded cost × payload size validated on the event loop. */
  inlineCost: number;
  /** Worker threads for costly validations. */
  workers: number;
  /** Time one validation may take in a worker before it is stopped. */
  budgetMs: number;
  /** Costly validations waiting or running, in total. */
  maxQueue: number;
  /** Costly validations waiting or running for one publisher. */
  perPublisher: number;
}

export const DEFAULT_VALIDATION: ValidationSettings = { inlineCost: 50_000, workers: 1, budgetMs: 200, maxQueue: 256, perPublisher: 64 };

/** Old-generation heap of one validation worker, in MB. */
const WORKER_HEAP_MB = 256;

/** Budget overruns of one schema within STRIKE_WINDOW_MS after which it is refused outright for that long. */
const STRIKES = 3;
const STRIKE_WINDOW_MS = 60_000;

interface Job {
  id: number;
  publisher: string;
  entry: CachedSchema;
  event: string;
  resolve(errors: FieldError[]): void;
  reject(err: unknown): void;
  /** Whether the schema text was re-sent after a worker had dropped it. */
  resent?: boolean;
}

interface Slot {
  worker: Worker;
  /** Set once the worker has loaded its modules: a job's budget starts only then. */
  ready: boolean;
  loaded: Set<number>;
  job?: Job;
  timer?: NodeJS.Timeout;
}

const tooCostly = (detail: string) => new RoomcastError('publish.validation_too_costly', { detail });
const busy = (detail: string) => new RoomcastError('publish.validation_busy', { detail, headers: { 'retry-after': '1' } });

export class SchemaValidation {
  readonly #settings: ValidationSettings;
  readonly #logger: Logger;
  readonly #metrics: IngressMetrics | undefined;
  readonly #slots: Slot[] = [];
  /** Waiting jobs per publisher; Map order is the round-robin order (a served publisher moves to the back). */
  readonly #queues = new Map<string, Job[]>();
  readonly #perPublisher = new Map<string, number>();
  readonly #strikes = new Map<number, number[]>();
  #inFlight = 0;
  #nextJob = 1;
  #stopped = false;

  constructor(settings: ValidationSettings, logger: Logger, metrics?: IngressMetrics) {
    this.#settings = settings;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /** The cost bound of validating a payload of this size against this schema. */
  cost(entry: CachedSchema, size: PayloadSize): number {
    return entry.unfolded * (size.nodes + (entry.scansStrings ? size.chars : 0));
  }

  /**
   * The payload's schema violations: synchronously when checked inline, otherwise a promise
   * from the worker pool (rejected with validation_too_costly or validation_busy).
   */
  check(publisher: string, entry: CachedSchema, event: unknown, size: PayloadSize): FieldError[] | Promise<FieldError[]> {
    if (entry.validate && this.cost(entry, size) <= this.#settings.inlineCost) {
      this.#metrics?.validations.inc({ path: 'inline' });
      return entry.validate(event);
    }
    this.#metrics?.validations.inc({ path: 'worker' });
    return this.#offload(publisher, entry, event);
  }

  #offload(publisher: string, entry: CachedSchema, event: unknown): Promise<FieldError[]> {
    if (this.#stopped) return Promise.reject(busy('The ingress is stopping'));
    if (this.#struckOut(entry.schemaId)) {
      this.#metrics?.validationRefusals.inc({ reason: 'schema_struck_out' });
      return Promise.reject(this.#struckOutError());
    }
    const mine = this.#perPublisher.get(publisher) ?? 0;
    if (mine >= this.#settings.perPublisher || this.#inFlight >= this.#settings.maxQueue) {
      this.#metrics?.validationRefusals.inc({ reason: 'busy' });
      return Promise.reject(busy('Too many costly validations are waiting; retry after Retry-After'));
    }
    this.#perPublisher.set(publisher, mine + 1);
    this.#inFlight++;
    return new Promise<FieldError[]>((resolve, reject) => {
      const done = () => {
        this.#inFlight--;
        const left = (this.#perPublisher.get(publisher) ?? 1) - 1;
        if (left <= 0) this.#perPublisher.delete(publisher);
        else this.#perPublisher.set(publisher, left);
      };
      const queue = this.#queues.get(publisher) ?? [];
      this.#queues.set(publisher, queue);
      queue.push({
        id: this.#nextJob++,
        publisher,
        entry,
        event: JSON.stringify(event),
        resolve: (errors) => {
          done();
          resolve(errors);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      this.#pump();
    });
  }

  #struckOutError(): RoomcastError {
    return tooCostly(`Validating against this event type's schema repeatedly took longer than ${this.#settings.budgetMs} ms; costly events of this type are refused for a minute. Simplify the schema or the payload.`);
  }

  #struckOut(schemaId: number): boolean {
    const times = this.#strikes.get(schemaId);
    if (!times) return false;
    const now = Date.now();
    const recent = times.filter((t) => now - t < STRIKE_WINDOW_MS);
    if (recent.length === 0) this.#strikes.delete(schemaId);
    else this.#strikes.set(schemaId, recent);
    return recent.length >= STRIKES;
  }

  #strike(schemaId: number): void {
    const times = this.#strikes.get(schemaId) ?? [];
    times.push(Date.now());
    this.#strikes.set(schemaId, times.slice(-STRIKES));
  }

  /** The next job, round-robin across publishers. */
  #take(): Job | undefined {
    for (const [publisher, queue] of this.#queues) {
      this.#queues.delete(publisher);
      const job = queue.shift();
      if (queue.length > 0) this.#queues.set(publisher, queue);
      if (job) return job;
    }
    return undefined;
  }

  #pump(): void {
    while (this.#queues.size > 0) {
      const slot = this.#slots.find((s) => s.ready && s.job === undefined);
      if (!slot) {
        // A new worker calls #pump again once it is ready.
        if (this.#slots.length < this.#settings.workers) this.#spawn();
        return;
      }
      const job = this.#take();
      if (!job) return;
      if (this.#struckOut(job.entry.schemaId)) {
        // Queued before its schema struck out: refused now, without taking a worker.
        job.reject(this.#struckOutError());
        continue;
      }
      this.#run(slot, job);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./validation-worker.ts', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    worker.unref();
    const slot: Slot = { worker, ready: false, loaded: new Set() };
    worker.on('message', (reply: WorkerReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        this.#pump();
      } else this.#reply(slot, reply);
    });
    worker.on('error', (err) => {
      if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const job = slot.job;
        if (job) this.#strike(job.entry.schemaId);
        this.#metrics?.validationRefusals.inc({ reason: 'memory_spent' });
        this.#logger.warn('validation ran out of worker memory; worker restarted', { schemaId: job?.entry.schemaId, publisher: job?.publisher });
        this.#retire(slot, tooCostly(`Validating this event against its schema needed more than ${WORKER_HEAP_MB} MB. Simplify the schema or the payload.`));
        return;
      }
      this.#logger.error('validation worker failed', { error: err });
      this.#retire(slot, busy('Validation failed for a reason of ours; retry'));
    });
    worker.on('exit', () => {
      if (!slot.ready && this.#slots.includes(slot)) {
        // It never started: refuse what waits rather than start workers in a loop.
        this.#logger.error('validation worker exited before it was ready');
        this.#slots.splice(this.#slots.indexOf(slot), 1);
        this.#refuseWaiting(busy('Validation is unavailable; retry'));
        return;
      }
      this.#retire(slot, busy('Validation was interrupted; retry'));
    });
    this.#slots.push(slot);
    return slot;
  }

  #run(slot: Slot, job: Job): void {
    slot.job = job;
    const request: WorkerRequest = { job: job.id, schemaId: job.entry.schemaId, event: job.event };
    if (!slot.loaded.has(job.entry.schemaId)) {
      request.schema = job.entry.text;
      slot.loaded.add(job.entry.schemaId);
    }
    slot.timer = setTimeout(() => this.#overrun(slot, job), this.#settings.budgetMs);
    slot.worker.postMessage(request);
  }

  #reply(slot: Slot, reply: WorkerReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.job) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    if ('errors' in reply) job.resolve(reply.errors);
    else if (reply.failure === 'schema not loaded' && !job.resent) {
      // The worker dropped the schema from its own cache: send it again, once.
      slot.loaded.delete(job.entry.schemaId);
      job.resent = true;
      this.#run(slot, job);
      return;
    } else {
      this.#logger.warn('validation worker could not validate', { schemaId: job.entry.schemaId, reason: reply.failure });
      job.reject(busy('Validation failed for a reason of ours; retry'));
    }
    this.#pump();
  }

  /** The budget is spent: stop the worker mid-validation, refuse the publish, start afresh. */
  #overrun(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    this.#strike(job.entry.schemaId);
    this.#metrics?.validationRefusals.inc({ reason: 'budget_spent' });
    this.#logger.warn('validation budget spent; worker restarted', { schemaId: job.entry.schemaId, publisher: job.publisher, budgetMs: this.#settings.budgetMs });
    slot.job = undefined;
    this.#retire(slot);
    job.reject(tooCostly(`Validating this event against its schema took longer than ${this.#settings.budgetMs} ms. Simplify the schema or the payload.`));
  }

  /** Removes a slot (terminating its worker); a job it still held is refused with `err`. */
  #retire(slot: Slot, err?: RoomcastError): void {
    const i = this.#slots.indexOf(slot);
    if (i < 0) return;
    this.#slots.splice(i, 1);
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    void slot.worker.terminate();
    if (job) job.reject(err ?? busy('Validation was interrupted; retry'));
    if (!this.#stopped) this.#pump();
  }

  #refuseWaiting(err: RoomcastError): void {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    for (const queue of queues) for (const job of queue) job.reject(err);
  }

  /** Terminates the workers; waiting validations are refused as busy. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#refuseWaiting(busy('The ingress is stopping'));
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      clearTimeout(s.timer);
      s.job?.reject(busy('The ingress is stopping'));
      s.job = undefined;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
