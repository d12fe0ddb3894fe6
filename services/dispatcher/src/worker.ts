/**
 * One push subscription's consumer: a member of the subscription's Kafka consumer group that
 * turns fetched records into delivery jobs, runs them through the JobScheduler (per-key FIFO,
 * `maxInFlight`, urgent lane first) and commits, per partition, only the contiguous prefix of
 * records whose outcome is final (PartitionWindow).
 *
 *   fetch ─▶ admit (window; waits while the window is full) ─▶ scheduler ─▶ attempt (runner.ts)
 *                                                                   │ final outcome
 *   commit ◀─ contiguous settled prefix ◀─ settle ◀────────────────┘
 *
 * kafkajs fetches from the *resolved* offset, so records are resolved as soon as they are
 * admitted (the fetch moves on) while commits are made explicitly (autoCommit off) from the
 * windows. The window is bounded by records and bytes, and all windows of the process together by
 * the WindowBudget; when either is full the batch handler waits (heartbeating) and the partition is
 * not fetched further: memory grows neither with the backlog nor with the number of subscriptions.
 */
import type { Logger } from '@roomcast/core';
import { type Consumer, decodeHeaders, type EachBatchPayload, type EventHeaders, type KafkaMessage } from '@roomcast/kafka';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import type { ContentFilters, GroupMember, SubscriptionConsumer } from '@roomcast/runtime';
import { JobScheduler } from './job-scheduler.ts';
import type { DispatcherMetrics } from './metrics.ts';
import { PartitionWindow } from './partition-window.ts';
import type { DeliveryJob, JobHost, JobRunner } from './job.ts';
import { HELD_RECORD_OVERHEAD, type WindowBudget } from './window-budget.ts';

export interface WorkerLimits {
  /** Records tracked per subscription (from the commit points on) before fetching pauses. */
  windowRecords: number;
  /** Bytes held per subscription (values plus HELD_RECORD_OVERHEAD each) before fetching pauses. */
  windowBytes: number;
  /** Pause between explicit offset commits. */
  commitIntervalMs: number;
  /** Consumer session timeout: how soon a crashed member's partitions move to another (SubscriptionConsumers applies it). */
  sessionTimeoutMs: number;
}

export interface WorkerOptions {
  logger: Logger;
  metrics: DispatcherMetrics;
  limits: WorkerLimits;
  /** The process's budget across every subscription's window. */
  budget: WindowBudget;
  runner: JobRunner;
  /** Content filters (decision 0028): an event a filter leaves out is final at admission. */
  filters: ContentFilters;
  /** The plain payload of a record, for a filter that reads payload fields; throws when it cannot be opened. */
  open(room: RoomRoute, headers: EventHeaders, value: Buffer): string;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class SubscriptionWorker implements JobHost, SubscriptionConsumer {
  readonly #o: WorkerOptions;
  #sub: SubscriptionRoute;
  #room: RoomRoute;
  readonly #member: GroupMember;
  readonly #consumer: Consumer;
  readonly #scheduler: JobScheduler<DeliveryJob>;
  readonly #windows = new Map<string, PartitionWindow>();
  readonly #jobs = new Map<string, Set<DeliveryJob>>();
  readonly #highWater = new Map<string, number>();
  readonly #toCommit = new Map<string, { topic: string; partition: number; offset: number }>();
  #heldBytes = 0;
  /** Set at stop: what is still held was given back to the process budget at once. */
  #budgetReleased = false;
  readonly #writes = new Set<Promise<void>>();
  readonly #space = new Set<() => void>();
  #commitTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(sub: SubscriptionRoute, room: RoomRoute, member: GroupMember, o: WorkerOptions) {
    this.#o = o;
    this.#sub = sub;
    this.#room = room;
    this.#scheduler = new JobScheduler(sub.fifo, sub.maxInFlight, (job) => this.#untrack(job));
    this.#member = member;
    this.#consumer = member.consumer;
  }

  get sub(): SubscriptionRoute {
    return this.#sub;
  }

  get room(): RoomRoute {
    return this.#room;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Settings that apply without a restart: endpoint, secrets, retry, timeout, limits, room data keys. */
  update(sub: SubscriptionRoute, room: RoomRoute): void {
    this.#sub = sub;
    this.#room = room;
    this.#scheduler.setLimit(sub.maxInFlight);
    this.pump();
  }

  async start(): Promise<void> {
    this.#member.onAssignment((assignment) => this.#onAssignment(assignment));
    await this.#member.run((payload) => this.#onBatch(payload));
  }

  /** Commits what is final, stops fetching and abandons the rest (redelivered after a restart). */
  async stop(): Promise<undefined> {
    this.#stopping = true;
    for (const set of this.#jobs.values()) for (const job of set) this.#drop(job);
    // Queued jobs are discarded only when they come up; their share of the budget is free now.
    this.#budgetReleased = true;
    this.#o.budget.give(this.#heldBytes);
    this.#wake();
    clearTimeout(this.#commitTimer);
    await this.#flushCommits();
    await this.#consumer.disconnect();
    this.#o.metrics.inFlight.remove({ subscription: this.#sub.id });
    this.#o.metrics.lag.remove({ subscription: this.#sub.id });
  }

  /** Starts as many runnable jobs as the scheduler allows. */
  pump(): void {
    for (let job = this.#scheduler.take(); job; job = this.#scheduler.take()) void this.#o.runner.run(this, job);
    this.#o.metrics.inFlight.set({ subscription: this.#sub.id }, this.#scheduler.running);
  }

  /** A job waits (retry back-off, open circuit, rate limit) without holding a slot. */
  suspend(job: DeliveryJob, untilMs: number): void {
    this.#scheduler.suspend(job);
    clearTimeout(job.timer);
    job.timer = setTimeout(
      () => {
        job.timer = undefined;
        if (job.dropped) this.#forget(job);
        else this.#scheduler.resume(job);
        this.pump();
      },
      Math.max(0, untilMs - Date.now()),
    );
    this.pump();
  }

  /** A write about a job (delivery log, status) that must land before its offset is committed. */
  track(write: Promise<void>): void {
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  /** The job's outcome is final: its offset may be committed once everything before it is. */
  settle(job: DeliveryJob): void {
    this.#forget(job);
    if (job.dropped) return;
    const k = tpKey(job.topic, job.partition);
    const commit = this.#windows.get(k)?.settle(job.offset);
    if (commit !== undefined) this.#queueCommit(job.topic, job.partition, commit);
  }

  /** The job is abandoned (stop, revoked partition): no commit, it will be fetched again. */
  release(job: DeliveryJob): void {
    this.#forget(job);
  }

  #forget(job: DeliveryJob): void {
    if (job.done) return;
    clearTimeout(job.timer);
    this.#scheduler.finish(job);
    this.#untrack(job);
    this.pump();
  }

  #untrack(job: DeliveryJob): void {
    if (job.done) return;
    job.done = true;
    this.#jobs.get(tpKey(job.topic, job.partition))?.delete(job);
    this.#heldBytes -= job.bytes;
    if (!this.#budgetReleased) this.#o.budget.give(job.bytes);
    this.#wake();
  }

  /**
   * Abandons a job: a queued one is discarded by the scheduler when it comes up, a running one
   * by the runner when its attempt returns, a waiting one here and now.
   */
  #drop(job: DeliveryJob): void {
    job.dropped = true;
    if (job.timer) this.#forget(job);
  }

  #onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((p) => tpKey(topic, p))));
    for (const [k, jobs] of this.#jobs) {
      if (owned.has(k)) continue;
      for (const job of jobs) this.#drop(job);
      this.#jobs.delete(k);
      this.#windows.delete(k);
      this.#toCommit.delete(k);
      this.#highWater.delete(k);
    }
    this.#updateLag();
    this.pump();
  }

  async #onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const k = tpKey(topic, partition);
    let window = this.#windows.get(k);
    if (!window) {
      window = new PartitionWindow();
      this.#windows.set(k, window);
      this.#jobs.set(k, new Set());
    }
    const lane: 0 | 1 = topic === this.#room.urgentTopic ? 0 : 1;
    for (const message of batch.messages) {
      while (this.#full()) {
        await this.#waitForSpace(1000);
        await heartbeat();
        if (!isRunning() || isStale() || this.stopping) return;
      }
      if (!isRunning() || isStale() || this.stopping) return;
      const offset = Number(message.offset);
      if (window.admit(offset)) this.#admit(window, topic, partition, lane, offset, message);
      resolveOffset(message.offset);
    }
    this.#highWater.set(k, Number(batch.highWatermark));
    this.#updateLag();
    this.pump();
  }

  #admit(window: PartitionWindow, topic: string, partition: number, lane: 0 | 1, offset: number, message: KafkaMessage): void {
    const headers = decodeHeaders(message.headers);
    const value = message.value;
    const key = message.key ? message.key.toString('utf8') : null;
    if (!headers || !value) {
      this.#o.logger.warn('record skipped: not a Roomcast event', { subscriptionId: this.#sub.id, topic, partition, offset });
    } else if (headers.eventType === this.#sub.eventType && this.#o.filters.admits('push', this.#sub, headers, key, () => this.#o.open(this.#room, headers, value))) {
      const job: DeliveryJob = {
        lane,
        key,
        topic,
        partition,
        offset,
        headers,
        // A copy: a slice would keep the whole fetch response alive while the job waits.
        value: Buffer.from(value),
        bytes: value.length + HELD_RECORD_OVERHEAD,
        publishedAtMs: Date.parse(headers.time) || Number(message.timestamp),
        attempts: 0,
        done: false,
      };
      this.#jobs.get(tpKey(topic, partition))?.add(job);
      this.#o.budget.take(job.bytes);
      this.#heldBytes += job.bytes;
      this.#scheduler.push(job);
      return;
    }
    // Not for this subscription (another event type, left out by its filter, or unreadable): final at once.
    const commit = window.settle(offset);
    if (commit !== undefined) this.#queueCommit(topic, partition, commit);
  }

  #full(): boolean {
    const held = this.#heldBytes;
    return this.#scheduler.pending >= this.#o.limits.windowRecords || held >= this.#o.limits.windowBytes || this.#o.budget.full(held);
  }

  /**
   * Until this window has room (one of its jobs ends), the process has room again (when this
   * window waits on the budget), or `ms` passed. One timer and one entry each way, all withdrawn
   * when the first of them fires.
   */
  #waitForSpace(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#space.delete(finish);
        withdraw?.();
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#space.add(finish);
      const withdraw = this.#o.budget.full(this.#heldBytes) ? this.#o.budget.whenRoom(finish) : undefined;
    });
  }

  #wake(): void {
    for (const w of [...this.#space]) w();
  }

  #queueCommit(topic: string, partition: number, offset: number): void {
    const k = tpKey(topic, partition);
    this.#toCommit.set(k, { topic, partition, offset });
    this.#commitTimer ??= setTimeout(() => {
      this.#commitTimer = undefined;
      void this.#flushCommits();
    }, this.#o.limits.commitIntervalMs);
  }

  #flushCommits(): Promise<void> {
    this.#committing = this.#committing.then(async () => {
      if (this.#toCommit.size === 0) return;
      // Snapshot first: every job settled so far handed in its writes before it settled.
      const offsets = [...this.#toCommit.values()].map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) }));
      this.#toCommit.clear();
      await Promise.allSettled([...this.#writes]);
      try {
        await this.#consumer.commitOffsets(offsets);
      } catch (err) {
        // A rebalance in between: the new owner starts from the last commit that succeeded.
        this.#o.logger.warn('offset commit failed; records after the last commit will be delivered again', { subscriptionId: this.#sub.id, error: err });
      }
      this.#updateLag();
    });
    return this.#committing;
  }

  /** Queue depth: records not fetched yet plus fetched records whose outcome is not final. */
  #updateLag(): void {
    let lag = 0;
    for (const [k, hw] of this.#highWater) {
      const next = this.#windows.get(k)?.next ?? -1;
      if (next >= 0) lag += Math.max(0, hw - next);
    }
    this.#o.metrics.lag.set({ subscription: this.#sub.id }, lag + this.#scheduler.pending);
  }
}
