/**
 * The runner's unit tests' world: one subscription and room, a job, a JobHost that writes down
 * what it was asked, and dependencies whose `send` answers a script. Used by runner*.test.ts.
 */
import { silentLogger } from '@roomcast/core';
import { Registry } from 'prom-client';
import { vi } from 'vitest';
import type { HttpResult } from './delivery.ts';
import type { DeliveryJob, JobHost } from './job.ts';
import { DispatcherMetrics } from './metrics.ts';
import { type AttemptRecord, DeliveryRunner, type RunnerDeps } from './runner.ts';
import { testRoom, testSub } from './test-routes.ts';

export const T0 = Date.parse('2026-11-22T10:00:00.000Z');
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export const sub = testSub({
  pushUrl: 'https://hooks.example.org/births',
  // Stored sealed (decision 0008): the runner must sign with what openSecret gives back.
  signingSecrets: [{ secret: `sealed:${SECRET}`, notAfter: null }],
  retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2 },
  timeoutMs: 7000,
  maxInFlight: 4,
});
export const room = testRoom({ topic: 'rc.room_1', urgentTopic: 'rc.room_1.urgent', partitions: 3 });

export function job(overrides: Partial<DeliveryJob> = {}): DeliveryJob {
  return {
    lane: 1,
    key: 'mother-1',
    topic: 'rc.room_1',
    partition: 2,
    offset: 41,
    headers: {
      id: '0193a5f1-2b3c-7d4e-8f60-123456789abc',
      eventType: 'newBirth',
      publisher: 'DEV/GOV/MOH/clinic',
      time: new Date(T0 - 5000).toISOString(),
      priority: 'NORMAL',
      classification: 'INTERNAL',
      schemaId: 3,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
    value: Buffer.from('{"weight":3200}'),
    bytes: 15,
    publishedAtMs: T0 - 5000,
    attempts: 0,
    done: false,
    ...overrides,
  };
}

/** A JobHost that writes down what the runner asked of it; `log` is shared with the fake deps to check order. */
export class FakeHost implements JobHost {
  readonly sub = sub;
  readonly room = room;
  stopping = false;
  readonly settled: DeliveryJob[] = [];
  readonly suspended: { job: DeliveryJob; untilMs: number }[] = [];
  readonly released: DeliveryJob[] = [];
  readonly tracked: Promise<void>[] = [];
  readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  settle(j: DeliveryJob): void {
    this.log.push('settle');
    this.settled.push(j);
  }
  suspend(j: DeliveryJob, untilMs: number): void {
    this.log.push('suspend');
    this.suspended.push({ job: j, untilMs });
  }
  release(j: DeliveryJob): void {
    this.log.push('release');
    this.released.push(j);
  }
  track(write: Promise<void>): void {
    this.tracked.push(write);
  }
}

export interface Sent {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Deps whose `send` answers the scripted results in turn; every other dependency lets the delivery go. */
export function fakeDeps(script: HttpResult[] = []) {
  const log: string[] = [];
  const sent: Sent[] = [];
  const records: AttemptRecord[] = [];
  const deadLetters: { reason: string; detail: string }[] = [];
  const registry = new Registry();
  const metrics = new DispatcherMetrics(registry);
  const deps = {
    logger: silentLogger,
    metrics,
    send: vi.fn<RunnerDeps['send']>(async (url, body, headers, timeoutMs) => {
      sent.push({ url, body, headers, timeoutMs });
      log.push('send');
      const next = script.shift();
      if (!next) throw new Error('send called more often than scripted');
      return next;
    }),
    nextAttempt: vi.fn<RunnerDeps['nextAttempt']>((_s, _j, nowMs) => ({ kind: 'retry', at: nowMs + 4000 })),
    circuitWait: vi.fn<RunnerDeps['circuitWait']>(() => 0),
    openSecret: vi.fn<RunnerDeps['openSecret']>((_id, stored) => stored.replace(/^sealed:/, '')),
    circuitRecord: vi.fn<RunnerDeps['circuitRecord']>(),
    rateWait: vi.fn<RunnerDeps['rateWait']>(() => 0),
    isCancelled: vi.fn<RunnerDeps['isCancelled']>(async () => false),
    open: vi.fn<RunnerDeps['open']>((_room, _headers, value) => value.toString('utf8')),
    recordAttempt: vi.fn<RunnerDeps['recordAttempt']>(async (rec) => {
      records.push(rec);
    }),
    markSent: vi.fn<RunnerDeps['markSent']>(async () => {
      log.push('markSent');
    }),
    deadLetter: vi.fn<RunnerDeps['deadLetter']>(async (_s, _j, reason, detail) => {
      log.push('deadLetter');
      deadLetters.push({ reason, detail });
    }),
    disable: vi.fn<RunnerDeps['disable']>(() => {
      log.push('disable');
    }),
  } satisfies RunnerDeps;
  const host = new FakeHost(log);
  return { deps, host, log, sent, records, deadLetters, metrics, runner: new DeliveryRunner(deps) };
}

export const counter = async (c: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }) =>
  (await c.get()).values.map((v) => ({ ...v.labels, value: v.value }));
