/** The dispatcher as a mountable unit: wires the delivery runner to Kafka, Redis and HTTP. */
import { type Logger, type MasterKey, openEventPayload } from '@roomcast/core';
import { eventMarks, feedbackWriter } from '@roomcast/redis';
import { decodeWire } from '@roomcast/registry';
import type { RoutingFollower } from '@roomcast/routing';
import { followDataKeys, type Runtime } from '@roomcast/runtime';
import { Agent } from 'undici';
import { backoffMs } from './delivery.ts';
import { Dispatcher } from './dispatcher.ts';
import { httpSender } from './http-sender.ts';
import { DispatcherMetrics } from './metrics.ts';
import { DeliveryRecorder } from './recorder.ts';
import { DeliveryRunner } from './runner.ts';
import type { WorkerLimits } from './worker.ts';

export { Dispatcher } from './dispatcher.ts';
export { signOne, signatureHeader, verifySignature } from './signature.ts';

export interface DispatcherUnitOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  /** Master keys unwrapping room data keys, to decrypt classified payloads before pushing. */
  masterKeys?: MasterKey[];
  limits?: Partial<WorkerLimits>;
  /** Most open connections per endpoint origin. */
  connections?: number;
  /** Partitions of the delivery-log and dead-letter topics when this process creates them. */
  partitions?: number;
  retentionMs?: number;
}

export function createDispatcher(o: DispatcherUnitOptions): Dispatcher {
  const { runtime, logger } = o;
  const metrics = new DispatcherMetrics(runtime.metrics);
  const agent = new Agent({ connections: o.connections ?? 256, pipelining: 1, keepAliveTimeout: 10_000 });
  const recorder = new DeliveryRecorder({ kafka: runtime.kafka, names: runtime.names, partitions: o.partitions ?? 3, retentionMs: o.retentionMs ?? 7 * 24 * 3600 * 1000 });
  const dataKeys = followDataKeys(o.routing, o.masterKeys ?? [], logger);
  const marks = eventMarks(runtime.redis, runtime.keys);
  const feedback = feedbackWriter(runtime.redis, runtime.keys);
  let dispatcher: Dispatcher | undefined;
  const runner = new DeliveryRunner({
    logger,
    metrics,
    send: httpSender(agent),
    nextAttempt(sub, job, nowMs, retryAfter) {
      if (job.attempts >= sub.retry.maxAttempts) return { kind: 'give-up', reason: 'attempts' };
      const after = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
      const at = nowMs + (after ?? Math.max(sub.retry.initialDelayMs / 10, backoffMs(job.attempts, sub.retry.initialDelayMs, sub.retry.maxDelayMs)));
      if (at >= job.publishedAtMs + sub.ttlSeconds * 1000) return { kind: 'give-up', reason: 'window' };
      return { kind: 'retry', at };
    },
    circuitWait: () => 0,
    circuitRecord: () => {},
    rateWait: () => 0,
    isCancelled: marks.isCancelled,
    open(room, headers, value) {
      const wire = decodeWire(value);
      if (!wire) throw new Error('record value is not in the Confluent wire format');
      return openEventPayload(dataKeys, room, headers, wire.payload).toString('utf8');
    },
    recordAttempt: (rec) => recorder.attempt(rec),
    deadLetter: (sub, job, reason, detail) => recorder.deadLetter(sub, job, reason, detail),
    disable(sub, reason) {
      logger.warn('subscription disabled by its endpoint', { subscriptionId: sub.id, reason });
      dispatcher?.disable(sub.id);
      feedback({ kind: 'disable-subscription', subscriptionId: sub.id, reason }).catch((err: unknown) =>
        logger.error('disable request not sent to the control plane; the subscription stays stopped in this process only', { subscriptionId: sub.id, error: err }),
      );
    },
  });
  dispatcher = new Dispatcher({
    kafka: runtime.kafka,
    routing: o.routing,
    logger,
    metrics,
    runner,
    limits: { windowRecords: 5000, windowBytes: 64 * 1024 * 1024, commitIntervalMs: 200, sessionTimeoutMs: 30_000, ...o.limits },
    onStart: () => recorder.start(),
    async onStop() {
      await recorder.stop();
      await agent.close();
    },
  });
  return dispatcher;
}
