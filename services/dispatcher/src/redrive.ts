/**
 * Redrive delivery (decision 0026): one consumer group per dispatcher deployment reads the
 * redrive topic, and each record — a dead letter handed back for one named subscription — goes
 * through the same DeliveryRunner as a first delivery (signing, address guard, retries, circuit
 * breaker, the subscription's rate limit, delivery-log rows, dead-lettering when it fails again).
 *
 *   record ─▶ no target / unreadable ──────────────────────────▶ skipped (committed)
 *          ─▶ subscription gone ───────────────────────────────▶ skipped (committed)
 *          ─▶ subscription paused or not PUSH ─────────────────▶ dead-lettered again at once
 *          ─▶ paced at the redrive's rate ─▶ runner ─▶ final ──▶ committed with its batch
 *
 * Only that subscription receives it: the record names it, and nothing else reads the topic.
 * A redriven event's window (TTL) starts at the redrive, not at its publication, or every
 * event older than the TTL would expire unattempted. The batch's offset is committed once
 * every record of it is final; a stop before that leaves it to be read again (at-least-once,
 * like every push; the claim made at the redrive call is what keeps a second redrive away).
 */
import type { Logger } from '@roomcast/core';
import { decodeHeaders, type Consumer, type EachBatchPayload, ensureTopics, INTERNAL_TOPIC_MAX_MESSAGE_BYTES, type Kafka, type KafkaMessage, type KafkaNames, redriveTargetOf } from '@roomcast/kafka';
import type { RoomRoute, RoutingFollower, SubscriptionRoute } from '@roomcast/routing';
import type { DeliveryJob, JobHost, JobRunner } from './job.ts';
import type { DispatcherMetrics } from './metrics.ts';
import { Pacer } from './policy.ts';

export interface RedriveOptions {
  kafka: Kafka;
  names: KafkaNames;
  routing: RoutingFollower;
  runner: JobRunner;
  logger: Logger;
  metrics: DispatcherMetrics;
  /** Writes a dead letter straight away (a redrive to a subscription that cannot take it now). */
  deadLetter(sub: SubscriptionRoute, job: DeliveryJob, reason: string, detail: string): Promise<void>;
  partitions: number;
  retentionMs: number;
  /** Redriven events of one batch in delivery at once. */
  concurrency?: number;
  sessionTimeoutMs?: number;
}

type Outcome = 'settled' | 'released';

/** The runner's view of one redriven job: settles a promise instead of moving a window. */
class RedriveHost implements JobHost {
  readonly #o: RedriveOptions;
  readonly #initial: SubscriptionRoute;
  readonly #room: RoomRoute;
  readonly #isStopping: () => boolean;
  readonly #writes: Promise<void>[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly done: Promise<Outcome>;
  #resolve!: (o: Outcome) => void;

  constructor(o: RedriveOptions, sub: SubscriptionRoute, room: RoomRoute, isStopping: () => boolean) {
    this.#o = o;
    this.#initial = sub;
    this.#room = room;
    this.#isStopping = isStopping;
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
  }

  get sub(): SubscriptionRoute {
    return this.#o.routing.current().contract.subscriptions.find((s) => s.id === this.#initial.id) ?? this.#initial;
  }
  get room(): RoomRoute {
    return this.#o.routing.current().roomById(this.#room.id) ?? this.#room;
  }
  get stopping(): boolean {
    return this.#isStopping();
  }
  settle(): void {
    void Promise.all(this.#writes).then(() => this.#resolve('settled'));
  }
  suspend(job: DeliveryJob, untilMs: number): void {
    this.#timer = setTimeout(() => void this.#o.runner.run(this, job), Math.max(0, untilMs - Date.now()));
  }
  release(): void {
    this.#resolve('released');
  }
  track(write: Promise<void>): void {
    this.#writes.push(write);
  }
  cancel(): void {
    clearTimeout(this.#timer);
    this.#resolve('released');
  }
}

export class RedriveConsumer {
  readonly #o: RedriveOptions;
  readonly #pacers = new Map<string, Pacer>();
  readonly #hosts = new Set<RedriveHost>();
  #consumer: Consumer | undefined;
  #stopping = false;

  constructor(o: RedriveOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    const { kafka, names, partitions, retentionMs, sessionTimeoutMs = 30_000 } = this.#o;
    this.#stopping = false;
    await ensureTopics(kafka, [{ topic: names.redriveTopic(), partitions, retentionMs, maxMessageBytes: INTERNAL_TOPIC_MAX_MESSAGE_BYTES }]);
    if (this.#stopping) return;
    const consumer = kafka.consumer({ groupId: names.redriveGroup(), allowAutoTopicCreation: false, sessionTimeout: sessionTimeoutMs, heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)) });
    this.#consumer = consumer;
    await consumer.connect();
    if (this.#stopping) return;
    await consumer.subscribe({ topics: [names.redriveTopic()], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: Math.max(1, partitions), eachBatch: (p) => this.#batch(consumer, p) });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const h of this.#hosts) h.cancel();
    await this.#consumer?.disconnect().catch(() => {});
    this.#consumer = undefined;
  }

  async #batch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const limit = this.#o.concurrency ?? 32;
    const running = new Set<Promise<Outcome>>();
    const outcomes: Promise<Outcome>[] = [];
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || this.#stopping) return;
      const started = await this.#start(m, heartbeat);
      if (!started) continue;
      const run = started.done;
      outcomes.push(run);
      running.add(run);
      void run.finally(() => running.delete(run));
      while (running.size >= limit) await this.#beating(Promise.race(running), heartbeat);
    }
    const all = await this.#beating(Promise.all(outcomes), heartbeat);
    // A job released (this consumer stops) is read again by whoever gets the partition.
    if (all.includes('released') || this.#stopping) return;
    const last = batch.messages.at(-1);
    if (!last) return;
    resolveOffset(last.offset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    await heartbeat();
  }

  /** Hands one record to the runner once its redrive's pace allows; undefined when there is nothing to run. */
  async #start(m: KafkaMessage, heartbeat: () => Promise<void>): Promise<{ done: Promise<Outcome> } | undefined> {
    const { metrics, logger } = this.#o;
    const target = redriveTargetOf(m.headers);
    const headers = decodeHeaders(m.headers);
    const index = this.#o.routing.current();
    const sub = target ? index.contract.subscriptions.find((s) => s.id === target.subscriptionId) : undefined;
    const room = sub ? index.roomById(sub.roomId) : undefined;
    if (!target || !headers || !m.value || !sub || !room) {
      metrics.redriven.inc({ outcome: 'skipped' });
      logger.warn('redrive record skipped', { subscriptionId: target?.subscriptionId, redriveId: target?.redriveId, reason: !target || !headers || !m.value ? 'unreadable' : 'subscription_gone' });
      return undefined;
    }
    const value = Buffer.from(m.value);
    const job: DeliveryJob = {
      lane: 0,
      key: target.key,
      topic: target.source.topic,
      partition: target.source.partition,
      offset: target.source.offset,
      headers,
      value,
      bytes: value.length,
      publishedAtMs: Date.now(),
      attempts: 0,
      done: false,
    };
    if (sub.status !== 'ACTIVE' || sub.mode !== 'PUSH' || !sub.pushUrl) {
      metrics.redriven.inc({ outcome: 'not_delivered' });
      const detail = sub.status !== 'ACTIVE' ? 'the subscription was paused before the redrive reached it' : 'the subscription is no longer PUSH';
      return {
        done: this.#o.deadLetter(sub, job, 'redrive_not_delivered', detail).then(
          () => 'settled' as const,
          () => 'released' as const,
        ),
      };
    }
    await this.#pace(target.redriveId, target.ratePerSec, heartbeat);
    if (this.#stopping) return { done: Promise.resolve('released' as const) };
    const host = new RedriveHost(this.#o, sub, room, () => this.#stopping);
    this.#hosts.add(host);
    void this.#o.runner.run(host, job);
    return {
      done: host.done.then((o) => {
        this.#hosts.delete(host);
        if (o === 'settled') metrics.redriven.inc({ outcome: job.deadLetter ? 'dead_lettered' : 'settled' });
        return o;
      }),
    };
  }

  /** Waits for `p`, heartbeating every second meanwhile: a redriven job in back-off may take longer than the session. */
  async #beating<T>(p: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
    let settled = false;
    const done = p.finally(() => {
      settled = true;
    });
    while (!settled) {
      await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
      if (!settled) await heartbeat().catch(() => {});
    }
    return done;
  }

  /** Waits until the redrive's pacer lets one more delivery start (heartbeating meanwhile). */
  async #pace(redriveId: string, ratePerSec: number, heartbeat: () => Promise<void>): Promise<void> {
    let pacer = this.#pacers.get(redriveId);
    if (!pacer) {
      // Pacers of finished redrives are dropped: the map holds only the recent ones.
      if (this.#pacers.size >= 1000) this.#pacers.clear();
      pacer = new Pacer(ratePerSec);
      this.#pacers.set(redriveId, pacer);
    }
    for (;;) {
      const at = pacer.wait(Date.now());
      if (at === 0 || this.#stopping) return;
      await new Promise((r) => setTimeout(r, Math.min(1000, at - Date.now())));
      await heartbeat().catch(() => {});
    }
  }
}
