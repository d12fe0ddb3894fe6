/**
 * The dispatcher service as one unit: wires the delivery runner to Kafka, Redis and HTTP.
 * `dispatcherUnit` builds it from validated configuration and the process's shared context;
 * services/dispatcher main.ts and the all-in-one process both call it.
 */
import { type Logger, type MasterKey, openEventPayload, SecretBox } from '@roomcast/core';
import { type CancellationWatcher, cancellationWatcher, type DeliveryStatusWrite, deliveryStatusStore, feedbackWriter } from '@roomcast/redis';
import type { EventHeaders } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import type { RoomRoute, RoutingFollower } from '@roomcast/routing';
import { ContentFilters, followDataKeys, masterKeysOf, type Runtime, type ServiceContext, type Unit } from '@roomcast/runtime';
import { type DispatcherConfig, dispatcherSettings } from './config.ts';
import { coalescer } from './coalescer.ts';
import { guardedAgent } from './connect-guard.ts';
import { Dispatcher } from './dispatcher.ts';
import { httpSender } from './http-sender.ts';
import { DispatcherMetrics, endpointFingerprint } from './metrics.ts';
import { DeliveryRecorder } from './recorder.ts';
import { CircuitBreakers, decideRetry, Pacer } from './policy.ts';
import { RedriveConsumer } from './redrive.ts';
import { DeliveryRunner } from './runner.ts';
import type { WorkerLimits } from './worker.ts';
import { WindowBudget } from './window-budget.ts';

export interface DispatcherUnit extends Unit {
  /** The running dispatcher (tests stop it before removing their topics). */
  dispatcher: Dispatcher;
}

export function dispatcherUnit(config: DispatcherConfig, ctx: ServiceContext): DispatcherUnit {
  const dispatcher = createDispatcher({
    ...ctx,
    masterKeys: masterKeysOf(config),
    ...dispatcherSettings(config),
    partitions: config.ROOMCAST_DEFAULT_PARTITIONS,
    retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
    devMode: config.ROOMCAST_DEV_MODE,
  });
  return { name: 'dispatcher', dispatcher, start: () => dispatcher.start(), stop: () => dispatcher.stop() };
}

export interface DispatcherOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  /** Master keys unwrapping room data keys, to decrypt classified payloads before pushing. */
  masterKeys?: MasterKey[];
  limits?: Partial<WorkerLimits>;
  /** Bytes of events held across all subscriptions of the process (WindowBudget). */
  budgetBytes?: number;
  /** Most open connections per endpoint origin. */
  connections?: number;
  /** Development mode: loopback endpoints pass the connect-time SSRF guard. */
  devMode?: boolean;
  /** Partitions of the delivery-log and dead-letter topics when this process creates them. */
  partitions?: number;
  retentionMs?: number;
}

function createDispatcher(o: DispatcherOptions): Dispatcher {
  const { runtime, logger } = o;
  const metrics = new DispatcherMetrics(runtime.metrics);
  const agent = guardedAgent({
    connections: o.connections ?? 256,
    policy: { allowLoopback: o.devMode ?? false, allowlist: () => o.routing.current().contract.endpointAllowlist ?? [] },
  });
  const STATE = { closed: 0, 'half-open': 1, open: 2 } as const;
  const circuits = new CircuitBreakers((origin, from, to) => {
    // Metrics name the endpoint by a fingerprint, not its origin: scrapes are read by more people
    // than the subscribers' addresses concern. The log line (operators only) maps one to the other.
    const endpoint = endpointFingerprint(origin);
    metrics.circuit.set({ endpoint }, STATE[to]);
    (to === 'open' ? logger.warn : logger.info).call(logger, 'push endpoint circuit changed', { endpoint, origin, from, to });
  });
  const pacers = new Map<string, Pacer>();
  const secrets = new SecretBox(o.masterKeys ?? []);
  const recorder = new DeliveryRecorder({ kafka: runtime.kafka, names: runtime.names, partitions: o.partitions ?? 3, retentionMs: o.retentionMs ?? 7 * 24 * 3600 * 1000 });
  const dataKeys = followDataKeys(o.routing, o.masterKeys ?? [], logger);
  // Created at start: a dispatcher that is never started opens no connection.
  let cancellations: CancellationWatcher | undefined;
  const feedback = feedbackWriter(runtime.redis, runtime.keys);
  const status = deliveryStatusStore(runtime.redis, runtime.keys);
  const writeStatus = coalescer<DeliveryStatusWrite>((writes) => status.recordMany(writes));
  let dispatcher: Dispatcher | undefined;
  const open = (room: RoomRoute, headers: EventHeaders, value: Buffer): string => {
    const wire = decodeWire(value);
    if (!wire) throw new Error('record value is not in the Confluent wire format');
    return openEventPayload(dataKeys, room, headers, wire.payload).toString('utf8');
  };
  const runner = new DeliveryRunner({
    logger,
    metrics,
    send: httpSender(agent),
    nextAttempt(sub, job, nowMs, retryAfter) {
      const d = decideRetry({ attempt: job.attempts, publishedAtMs: job.publishedAtMs, nowMs, policy: sub.retry, ttlSeconds: sub.ttlSeconds, retryAfter });
      return d.kind === 'retry' ? { kind: 'retry', at: d.at } : d;
    },
    circuitWait: (url, nowMs) => circuits.wait(url, nowMs),
    openSecret: (id, stored) => secrets.open(id, stored),
    circuitRecord: (url, ok, nowMs) => circuits.record(url, ok, nowMs),
    rateWait(sub, nowMs) {
      if (sub.rateLimitPerSec === null) return 0;
      let pacer = pacers.get(sub.id);
      if (pacer?.ratePerSec !== sub.rateLimitPerSec) {
        pacer = new Pacer(sub.rateLimitPerSec);
        pacers.set(sub.id, pacer);
      }
      return pacer.wait(nowMs);
    },
    isCancelled: async (roomId, publisher, eventId) => cancellations?.isCancelled(roomId, publisher, eventId) ?? false,
    open,
    async recordAttempt(rec) {
      const entry = { state: rec.state, attempts: rec.attempt, lastStatus: rec.httpStatus, lastError: rec.errorClass, updatedAt: rec.time };
      await Promise.all([recorder.attempt(rec), writeStatus({ roomId: rec.roomId, eventId: rec.eventId, subscriptionId: rec.subscriptionId, entry })]);
    },
    markSent: (sub, job) =>
      writeStatus({
        roomId: sub.roomId,
        eventId: job.headers.id,
        subscriptionId: sub.id,
        entry: { state: 'SENT', attempts: job.attempts, lastStatus: job.lastStatus ?? null, lastError: null, updatedAt: new Date().toISOString() },
      }),
    deadLetter: (sub, job, reason, detail) => recorder.deadLetter(sub, job, reason, detail),
    disable(sub, reason) {
      logger.warn('subscription disabled by its endpoint', { subscriptionId: sub.id, reason });
      dispatcher?.disable(sub.id);
      feedback({ kind: 'disable-subscription', subscriptionId: sub.id, reason }).catch((err: unknown) =>
        logger.error('disable request not sent to the control plane; the subscription stays stopped in this process only', { subscriptionId: sub.id, error: err }),
      );
    },
  });
  const limits = { windowRecords: 5000, windowBytes: 64 * 1024 * 1024, commitIntervalMs: 200, sessionTimeoutMs: 30_000, ...o.limits };
  const redrive = new RedriveConsumer({
    kafka: runtime.kafka,
    names: runtime.names,
    routing: o.routing,
    runner,
    logger: logger.child({ part: 'redrive' }),
    metrics,
    deadLetter: (sub, job, reason, detail) => recorder.deadLetter(sub, job, reason, detail),
    partitions: o.partitions ?? 3,
    retentionMs: o.retentionMs ?? 7 * 24 * 3600 * 1000,
    sessionTimeoutMs: limits.sessionTimeoutMs,
  });
  // Joining the redrive group can wait for a dead member's session to end: it must not hold up
  // the first deliveries or readiness, so it starts in the background.
  let redriveStarted: Promise<void> | undefined;
  const budget = new WindowBudget(o.budgetBytes ?? 256 * 1024 * 1024);
  metrics.readHeldBytes(() => budget.held);
  dispatcher = new Dispatcher({
    kafka: runtime.kafka,
    routing: o.routing,
    logger,
    metrics,
    runner,
    filters: new ContentFilters(runtime.metrics, logger),
    open,
    limits,
    budget,
    async onStart() {
      cancellations = cancellationWatcher(runtime.redis, runtime.keys, (err) => logger.warn('cancellation marks not reloaded after a reconnect', { error: err }));
      await cancellations.ready;
      await recorder.start();
      redriveStarted = redrive.start().catch((err: unknown) => logger.error('redrive consumer did not start; redriven dead letters wait for another dispatcher', { error: err }));
    },
    async onStop() {
      await redrive.stop();
      await redriveStarted;
      await cancellations?.stop();
      await recorder.stop();
      // Requests still open (a hanging endpoint) are cut: their outcomes were already abandoned.
      await agent.destroy();
    },
  });
  return dispatcher;
}
