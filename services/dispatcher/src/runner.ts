/**
 * One delivery job's life, from its first attempt to a final outcome:
 *
 *   cancelled by the publisher ─────────────────────────────▶ CANCELLED (final)
 *   past its window (TTL from publish time) ────────────────▶ dead letter, FAILED (final)
 *   circuit open / over the rate limit ─▶ wait (no attempt counted, no slot held)
 *   attempt ─▶ 2xx ───────────────────────────────────────────▶ DELIVERED (final)
 *           ─▶ 4xx (not 408/429), refused destination ─────────▶ dead letter, FAILED (final)
 *              410 Gone also disables the subscription
 *           ─▶ 408/429/5xx/timeout/connection error ─▶ ERRORED, retry at the policy's time
 *              or, when the window or the attempt budget is spent ─▶ dead letter, FAILED
 *
 * Every attempt is appended to the delivery log and to the event's status; the payload never
 * is. A final outcome settles the job's offset only after the dead letter (if any) is in Kafka.
 */
import type { Logger } from '@roomcast/core';
import type { DeliveryState } from '@roomcast/redis';
import type { EventHeaders } from '@roomcast/kafka';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import { type AttemptOutcome, buildDeliveryRequest, classifyResult, type HttpResult } from './delivery.ts';
import type { DeliveryJob, JobHost, JobRunner } from './job.ts';
import type { DispatcherMetrics } from './metrics.ts';

/** What an attempt is written down as, in the delivery log (never the payload). */
export interface AttemptRecord {
  eventId: string;
  subscriptionId: string;
  roomId: string;
  eventType: string;
  /** The subscriber's client id and how it receives (the message log's row, logsink records.ts). */
  subscriber: string;
  mode: 'push' | 'pull' | 'stream';
  attempt: number;
  outcome: 'delivered' | 'retry' | 'failed' | 'cancelled' | 'dead-lettered' | 'leased' | 'acked' | 'nacked' | 'lease-expired';
  state: DeliveryState;
  httpStatus: number | null;
  errorClass: string | null;
  latencyMs: number | null;
  time: string;
  /** When the event was published (rc-time), for publish→delivered latency. */
  publishedAt: string;
  /** When the next attempt is due (retries only). */
  nextAttemptAt: string | null;
  topic: string;
  partition: number;
  offset: number;
}

export interface RunnerDeps {
  logger: Logger;
  metrics: DispatcherMetrics;
  /** One POST; a request in flight when its worker stops runs to its answer or timeout (its outcome is then dropped). */
  send(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult>;
  /** When the next attempt may start, or why there is none. */
  nextAttempt(sub: SubscriptionRoute, job: DeliveryJob, nowMs: number, retryAfter: string | null): { kind: 'retry'; at: number } | { kind: 'give-up'; reason: string };
  /** 0 when the endpoint's circuit lets a request through now, else when to ask again. */
  circuitWait(url: string, nowMs: number): number;
  /** Opens a signing secret as stored in the contract (sealed under the master key, decision 0008). */
  openSecret(subscriptionId: string, stored: string): string;
  circuitRecord(url: string, ok: boolean, nowMs: number): void;
  /** 0 when the subscription's rate limit lets a delivery start now, else when to ask again. */
  rateWait(sub: SubscriptionRoute, nowMs: number): number;
  isCancelled(roomId: string, publisher: string, eventId: string): Promise<boolean>;
  /** The payload as JSON text; throws when a sealed payload cannot be opened. */
  open(room: RoomRoute, headers: EventHeaders, value: Buffer): string;
  recordAttempt(rec: AttemptRecord): Promise<void>;
  /** The event's status for this subscription becomes SENT (an attempt is under way). */
  markSent(sub: SubscriptionRoute, job: DeliveryJob): Promise<void>;
  deadLetter(sub: SubscriptionRoute, job: DeliveryJob, reason: string, detail: string): Promise<void>;
  disable(sub: SubscriptionRoute, reason: string): void;
}

/** An attempt still waiting for its answer after this long is shown as SENT in the event status. */
const SENT_AFTER_MS = 250;
/** A record that could not be opened: retried within its window (the key may arrive with the next routing generation). */
const UNDECRYPTABLE: AttemptOutcome = { kind: 'retry', reason: 'undecryptable', status: null, retryAfter: null };

export class DeliveryRunner implements JobRunner {
  readonly #d: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.#d = deps;
  }

  async run(host: JobHost, job: DeliveryJob): Promise<void> {
    try {
      await this.#step(host, job);
    } catch (err) {
      // Only our own bookkeeping can throw here; the job is tried again shortly.
      this.#d.logger.error('delivery step failed; retrying it', { subscriptionId: host.sub.id, eventId: job.headers.id, error: err });
      if (job.dropped || host.stopping) host.release(job);
      else host.suspend(job, Date.now() + 1000);
    }
  }

  async #step(host: JobHost, job: DeliveryJob): Promise<void> {
    if (job.dropped || host.stopping) return host.release(job);
    const sub = host.sub;
    if (job.deadLetter) return this.#finishDead(host, job, job.deadLetter.reason, job.deadLetter.detail);

    if (await this.#cancelled(sub, job)) {
      this.#d.metrics.attempts.inc({ subscription: sub.id, outcome: 'cancelled' });
      this.#record(host, job, 'cancelled', 'CANCELLED', null, null, null);
      return host.settle(job);
    }
    const now = Date.now();
    if (now >= job.publishedAtMs + sub.ttlSeconds * 1000) {
      return this.#finishDead(host, job, 'expired', `not delivered within the subscription's TTL of ${sub.ttlSeconds} s`);
    }
    const url = sub.pushUrl ?? '';
    // The rate limit first: a circuit's half-open probe must not then be held back by it.
    const paced = this.#d.rateWait(sub, now);
    if (paced > now) return host.suspend(job, paced);
    // Opened before the circuit is asked: a record that cannot be opened must not take an
    // endpoint's half-open probe, which would then never report back and hold every
    // subscription to that origin until the probe times out.
    const payload = this.#open(host, job);
    if (payload !== undefined) {
      const circuit = this.#d.circuitWait(url, now);
      if (circuit > now) return host.suspend(job, circuit);
    }

    job.attempts++;
    const started = performance.now();
    const outcome = payload === undefined ? UNDECRYPTABLE : await this.#attempt(host, job, url, payload);
    const latencyMs = performance.now() - started;
    // The endpoint answered (any status but 408/429/5xx) or did not, even if the job was dropped meanwhile.
    if (payload !== undefined) this.#d.circuitRecord(url, outcome.kind !== 'retry', Date.now());
    if (job.dropped || host.stopping) return host.release(job);
    this.#d.metrics.attempts.inc({ subscription: sub.id, outcome: outcome.kind });
    this.#d.metrics.attemptDuration.observe({ subscription: sub.id }, latencyMs / 1000);
    job.lastStatus = outcome.status;
    const at = { subscriptionId: sub.id, eventId: job.headers.id, partition: job.partition, offset: job.offset, attempt: job.attempts };

    if (outcome.kind === 'delivered') {
      this.#d.metrics.endToEnd.observe({ subscription: sub.id }, (Date.now() - job.publishedAtMs) / 1000);
      this.#record(host, job, 'delivered', 'DELIVERED', outcome.status, null, latencyMs);
      return host.settle(job);
    }
    if (outcome.kind === 'failed') {
      this.#d.logger.warn('delivery failed', { ...at, reason: outcome.reason });
      this.#record(host, job, 'failed', 'FAILED', outcome.status, outcome.reason, latencyMs);
      if (outcome.disable) this.#d.disable(sub, `endpoint answered ${outcome.reason}`);
      return this.#finishDead(host, job, 'rejected', outcome.reason);
    }
    const next = this.#d.nextAttempt(sub, job, Date.now(), outcome.retryAfter);
    if (next.kind === 'give-up') {
      this.#d.logger.warn('delivery given up', { ...at, reason: outcome.reason, because: next.reason });
      this.#record(host, job, 'retry', 'FAILED', outcome.status, outcome.reason, latencyMs);
      return this.#finishDead(host, job, next.reason, outcome.reason);
    }
    this.#d.logger.info('delivery will be retried', { ...at, reason: outcome.reason, inMs: next.at - Date.now() });
    this.#d.metrics.retries.inc({ subscription: sub.id });
    this.#record(host, job, 'retry', 'ERRORED', outcome.status, outcome.reason, latencyMs, next.at);
    return host.suspend(job, next.at);
  }

  /** The record's payload as the subscriber gets it (decrypted), or undefined when it cannot be opened. */
  #open(host: JobHost, job: DeliveryJob): string | undefined {
    try {
      return this.#d.open(host.room, job.headers, job.value);
    } catch (err) {
      this.#d.metrics.decryptFailures.inc({ subscription: host.sub.id });
      this.#d.logger.error('record not decrypted', { subscriptionId: host.sub.id, eventId: job.headers.id, keyId: job.headers.keyId, error: (err as Error).message });
      return undefined;
    }
  }

  async #attempt(host: JobHost, job: DeliveryJob, url: string, payload: string): Promise<AttemptOutcome> {
    const sub = host.sub;
    // SENT is worth a write only for an attempt that takes a while; most finish first.
    const sent = setTimeout(() => host.track(this.#d.markSent(sub, job).catch(() => this.#d.metrics.logFailures.inc())), SENT_AFTER_MS);
    const rec = { headers: job.headers, key: job.key, partition: job.partition, offset: String(job.offset), payload };
    const req = buildDeliveryRequest(sub, host.room, rec, Date.now(), (stored) => this.#d.openSecret(sub.id, stored));
    this.#d.metrics.inFlightRequests.inc();
    try {
      return classifyResult(await this.#d.send(url, req.body, req.headers, sub.timeoutMs));
    } finally {
      clearTimeout(sent);
      this.#d.metrics.inFlightRequests.dec();
    }
  }

  /** Final FAILED: the record goes to the dead-letter topic first; if Kafka refuses, try again soon. */
  async #finishDead(host: JobHost, job: DeliveryJob, reason: string, detail: string): Promise<void> {
    const sub = host.sub;
    job.deadLetter = { reason, detail };
    try {
      await this.#d.deadLetter(sub, job, reason, detail);
    } catch (err) {
      this.#d.logger.warn('dead letter not written; trying again', { subscriptionId: sub.id, eventId: job.headers.id, error: err });
      return host.suspend(job, Date.now() + 2000);
    }
    this.#d.metrics.deadLettered.inc({ subscription: sub.id, reason });
    this.#record(host, job, 'dead-lettered', 'FAILED', job.lastStatus ?? null, reason, null);
    host.settle(job);
  }

  /**
   * Writes the attempt down without holding the delivery up: the worker waits for every write
   * it was handed before it commits offsets, so a committed outcome is always in the log.
   */
  #record(
    host: JobHost,
    job: DeliveryJob,
    outcome: AttemptRecord['outcome'],
    state: DeliveryState,
    httpStatus: number | null,
    errorClass: string | null,
    latencyMs: number | null,
    nextAtMs?: number,
  ): void {
    const sub = host.sub;
    const rec: AttemptRecord = {
      eventId: job.headers.id,
      subscriptionId: sub.id,
      roomId: sub.roomId,
      eventType: job.headers.eventType,
      subscriber: sub.clientId,
      mode: 'push',
      attempt: job.attempts,
      outcome,
      state,
      httpStatus,
      errorClass,
      latencyMs: latencyMs === null ? null : Math.round(latencyMs * 1000) / 1000,
      time: new Date().toISOString(),
      publishedAt: job.headers.time,
      nextAttemptAt: nextAtMs === undefined ? null : new Date(nextAtMs).toISOString(),
      topic: job.topic,
      partition: job.partition,
      offset: job.offset,
    };
    host.track(
      this.#d.recordAttempt(rec).catch((err: unknown) => {
        // Bookkeeping, not delivery: a lost log line must not hold the event back.
        this.#d.metrics.logFailures.inc();
        this.#d.logger.warn('delivery attempt not recorded', { subscriptionId: sub.id, eventId: job.headers.id, error: err });
      }),
    );
  }

  /** A failed check delivers: cancelling is a publisher's request, not a guarantee (decision 0012). */
  async #cancelled(sub: SubscriptionRoute, job: DeliveryJob): Promise<boolean> {
    try {
      return await this.#d.isCancelled(sub.roomId, job.headers.publisher, job.headers.id);
    } catch (err) {
      this.#d.logger.warn('cancellation mark not readable; delivering', { subscriptionId: sub.id, eventId: job.headers.id, error: err });
      return false;
    }
  }
}
