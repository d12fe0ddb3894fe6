/**
 * Push delivery: one Kafka consumer group per active PUSH subscription, started, restarted
 * and stopped as the routing contract changes — no process restart.
 *
 *   (none) ──onAdded──▶ running ──onChanged──▶ (restart) ──▶ running
 *                          └──────onRemoved──▶ stopped
 *
 * A record's offset is resolved only after its delivery reached a final outcome (delivered,
 * or failed for good), so a crash at any point means redelivery with the same webhook-id,
 * never loss. Records of other event types in the room are skipped and committed.
 *
 * Thin for now: retries back off in place (holding the partition); the retry scheduler,
 * dead-letter topic, per-key FIFO windows, circuit breaker and SSRF connect guard come with
 * the push-delivery issue.
 */
import { type DataKeyRing, type Logger, openEventPayload } from '@roomcast/core';
import { type Consumer, decodeHeaders, type EachMessagePayload, type EventHeaders } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import type { RoomRoute, RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';
import type { Runtime } from '@roomcast/runtime';
import { Agent, request } from 'undici';
import { backoffMs, buildDeliveryRequest, classifyStatus, type AttemptOutcome } from './delivery.ts';
import type { DispatcherMetrics } from './metrics.ts';

export interface DispatcherOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  metrics: DispatcherMetrics;
  requestTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Room data keys (undefined without a master key): classified payloads are decrypted before pushing. */
  dataKeys?: DataKeyRing | undefined;
  /** Whether the publisher cancelled the event (GovStack deleteEvent); read before each attempt. */
  isCancelled?: (roomId: string, publisher: string, eventId: string) => Promise<boolean>;
}

interface Running {
  sub: SubscriptionRoute;
  consumer: Consumer;
  stopping: boolean;
}

const fingerprint = (s: SubscriptionRoute, index: RoutingIndex) =>
  JSON.stringify([s.pushUrl, s.signingSecrets, s.eventType, s.fifo, index.roomById(s.roomId)?.topic]);

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #running = new Map<string, Running & { print: string }>();
  readonly #agent: Agent;
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#agent = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 10_000 });
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#o.routing.onChange((next) => void this.#reconcile(next));
    await this.#reconcile(this.#o.routing.current());
  }

  /** Stops every consumer and the HTTP agent; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#unsubscribe?.();
      await this.#serial(async () => {
        await Promise.all([...this.#running.keys()].map((id) => this.#onRemoved(id)));
      });
      await this.#agent.close();
    })();
    return this.#stopped;
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(fn, fn);
    return this.#queue;
  }

  #reconcile(index: RoutingIndex): Promise<void> {
    return this.#serial(async () => {
      const wanted = new Map(index.subscriptions('PUSH').filter((s) => s.pushUrl && index.roomById(s.roomId)).map((s) => [s.id, s]));
      for (const id of this.#running.keys()) if (!wanted.has(id)) await this.#onRemoved(id);
      for (const [id, sub] of wanted) {
        const current = this.#running.get(id);
        const print = fingerprint(sub, index);
        if (!current) await this.#onAdded(sub, index, print);
        else if (current.print !== print) {
          await this.#onRemoved(id);
          await this.#onAdded(sub, index, print);
        }
      }
    });
  }

  async #onAdded(sub: SubscriptionRoute, index: RoutingIndex, print: string): Promise<void> {
    const room = index.roomById(sub.roomId);
    if (!room) return;
    const consumer = this.#o.runtime.kafka.consumer({ groupId: sub.group, allowAutoTopicCreation: false, sessionTimeout: 30_000, heartbeatInterval: 3000 });
    const entry = { sub, consumer, stopping: false, print };
    this.#running.set(sub.id, entry);
    try {
      await consumer.connect();
      // Urgent lane first in the subscription list; strict urgent-first draining comes later.
      await consumer.subscribe({ topics: [room.urgentTopic, room.topic], fromBeginning: true });
      await consumer.run({ partitionsConsumedConcurrently: 4, eachMessage: (payload) => this.#handle(entry, payload) });
      this.#o.logger.info('subscription consumer started', { subscriptionId: sub.id, group: sub.group });
    } catch (err) {
      this.#running.delete(sub.id);
      this.#o.logger.error('subscription consumer failed to start', { subscriptionId: sub.id, error: err });
      await consumer.disconnect().catch(() => {});
    }
  }

  async #onRemoved(id: string): Promise<void> {
    const entry = this.#running.get(id);
    if (!entry) return;
    entry.stopping = true;
    this.#running.delete(id);
    await entry.consumer.disconnect().catch((err: unknown) => this.#o.logger.warn('consumer disconnect failed', { subscriptionId: id, error: err }));
    this.#o.logger.info('subscription consumer stopped', { subscriptionId: id });
  }

  async #handle(entry: Running, { topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const { sub } = entry;
    const headers = decodeHeaders(message.headers);
    const wire = message.value ? decodeWire(message.value) : undefined;
    if (!headers || !wire) {
      this.#o.logger.warn('record skipped: not a Roomcast event', { subscriptionId: sub.id, topic, partition, offset: message.offset });
      return;
    }
    if (headers.eventType !== sub.eventType) return; // another subscription's event type
    const room = this.#o.routing.current().roomById(sub.roomId);
    if (!room) throw new Error(`room ${sub.roomId} left the routing contract`);
    // Classified payloads are sealed in Kafka; subscribers get them in plain, over TLS. A record
    // that cannot be opened throws: its offset stays uncommitted and kafkajs retries it.
    const payload = this.#open(sub, room, headers, wire.payload, { topic, partition, offset: message.offset });

    for (let attempt = 1; ; attempt++) {
      if (entry.stopping) throw new Error('consumer stopping: leave the offset uncommitted');
      if (await this.#cancelled(sub, headers.publisher, headers.id)) {
        this.#o.metrics.attempts.inc({ subscription: sub.id, outcome: 'cancelled' });
        this.#o.logger.info('delivery skipped: event cancelled by its publisher', { subscriptionId: sub.id, eventId: headers.id, partition, offset: message.offset, attempt });
        return; // final: the offset is committed
      }
      const req = buildDeliveryRequest(sub, room, { headers, key: message.key?.toString('utf8') ?? null, partition, offset: message.offset, payload }, Date.now());
      const started = performance.now();
      const outcome = await this.#attempt(req.url, req.body, req.headers);
      const labels = { subscription: sub.id, outcome: outcome.kind };
      this.#o.metrics.attempts.inc(labels);
      this.#o.metrics.attemptDuration.observe({ subscription: sub.id }, (performance.now() - started) / 1000);
      if (outcome.kind === 'delivered') {
        this.#o.metrics.endToEnd.observe({ subscription: sub.id }, (Date.now() - Date.parse(headers.time)) / 1000);
        return;
      }
      const fields = { subscriptionId: sub.id, eventId: headers.id, partition, offset: message.offset, attempt, reason: outcome.reason };
      if (outcome.kind === 'failed') {
        this.#o.logger.warn('delivery failed', fields);
        return;
      }
      this.#o.logger.info('delivery will be retried', fields);
      await sleepWithHeartbeat(backoffMs(attempt, this.#o.retryInitialMs, this.#o.retryMaxMs), heartbeat, () => entry.stopping);
    }
  }

  #open(sub: SubscriptionRoute, room: RoomRoute, headers: EventHeaders, payload: Buffer, at: { topic: string; partition: number; offset: string }): string {
    try {
      return openEventPayload(this.#o.dataKeys, room, headers, payload).toString('utf8');
    } catch (err) {
      this.#o.metrics.decryptFailures.inc({ subscription: sub.id });
      this.#o.logger.error('record not decrypted', { subscriptionId: sub.id, eventId: headers.id, keyId: headers.keyId, ...at, error: (err as Error).message });
      throw err;
    }
  }

  /** A failed check delivers: cancelling is a publisher's request, not a guarantee (decision 0012). */
  async #cancelled(sub: SubscriptionRoute, publisher: string, eventId: string): Promise<boolean> {
    if (!this.#o.isCancelled) return false;
    try {
      return await this.#o.isCancelled(sub.roomId, publisher, eventId);
    } catch (err) {
      this.#o.logger.warn('cancellation mark not readable; delivering', { subscriptionId: sub.id, eventId, error: err });
      return false;
    }
  }

  async #attempt(url: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher: this.#agent,
        headersTimeout: this.#o.requestTimeoutMs,
        bodyTimeout: this.#o.requestTimeoutMs,
      });
      await res.body.dump();
      return classifyStatus(res.statusCode);
    } catch (err) {
      return { kind: 'retry', reason: (err as { code?: string }).code ?? (err as Error).message };
    }
  }
}

async function sleepWithHeartbeat(ms: number, heartbeat: () => Promise<void>, stopping: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopping()) {
    await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
    await heartbeat().catch(() => {});
  }
}
