import { silentLogger } from '@roomcast/core';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpResult } from './delivery.ts';
import type { DeliveryJob, JobHost } from './job.ts';
import { DispatcherMetrics } from './metrics.ts';
import { decideRetry } from './policy.ts';
import { type AttemptRecord, DeliveryRunner, type RunnerDeps } from './runner.ts';
import { verifySignature } from './signature.ts';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const sub: SubscriptionRoute = {
  id: 'sub_1',
  roomId: 'room_1',
  eventType: 'newBirth',
  clientId: 'DEV/GOV/REG/app',
  mode: 'PUSH',
  status: 'ACTIVE',
  pushUrl: 'https://hooks.example.org/births',
  // Stored sealed (decision 0008): the runner must sign with what openSecret gives back.
  signingSecrets: [{ secret: `sealed:${SECRET}`, notAfter: null }],
  fifo: false,
  ttlSeconds: 3600,
  retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2 },
  timeoutMs: 7000,
  maxInFlight: 4,
  rateLimitPerSec: null,
  group: 'g',
};
const room: RoomRoute = {
  id: 'room_1',
  address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' },
  topic: 'rc.room_1',
  urgentTopic: 'rc.room_1.urgent',
  partitions: 3,
  eventTypes: [],
};

function job(overrides: Partial<DeliveryJob> = {}): DeliveryJob {
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
class FakeHost implements JobHost {
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

interface Sent {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Deps whose `send` answers the scripted results in turn; every other dependency lets the delivery go. */
function fakeDeps(script: HttpResult[] = []) {
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

const counter = async (c: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }) =>
  (await c.get()).values.map((v) => ({ ...v.labels, value: v.value }));

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeliveryRunner: delivered', () => {
  it('a 2xx settles the job once, records the attempt and writes no dead letter', async () => {
    const f = fakeDeps([{ status: 204, retryAfter: null }]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.host.settled).toEqual([j]);
    expect(f.host.suspended).toEqual([]);
    expect(f.host.released).toEqual([]);
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
    expect(f.deps.nextAttempt).not.toHaveBeenCalled();
    expect(j.attempts).toBe(1);
    expect(j.lastStatus).toBe(204);
    expect(f.records).toHaveLength(1);
    expect(f.records[0]).toMatchObject({
      eventId: j.headers.id,
      subscriptionId: 'sub_1',
      roomId: 'room_1',
      eventType: 'newBirth',
      subscriber: 'DEV/GOV/REG/app',
      mode: 'push',
      attempt: 1,
      outcome: 'delivered',
      state: 'DELIVERED',
      httpStatus: 204,
      errorClass: null,
      time: new Date(T0).toISOString(),
      publishedAt: j.headers.time,
      nextAttemptAt: null,
      topic: 'rc.room_1',
      partition: 2,
      offset: 41,
    });
    expect(typeof f.records[0]?.latencyMs).toBe('number');
    // The record is handed to the host, which waits for it before committing.
    expect(f.host.tracked).toHaveLength(1);
    expect(f.deps.circuitRecord).toHaveBeenCalledWith(sub.pushUrl, true, T0);
    expect(await counter(f.metrics.attempts)).toEqual([{ subscription: 'sub_1', outcome: 'delivered', value: 1 }]);
  });

  it('signs the request for the push URL with the webhook headers and the opened secret', async () => {
    const f = fakeDeps([{ status: 200, retryAfter: null }]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.sent).toHaveLength(1);
    const req = f.sent[0] as Sent;
    expect(req.url).toBe(sub.pushUrl);
    expect(req.timeoutMs).toBe(sub.timeoutMs);
    expect(req.headers['webhook-id']).toBe(j.headers.id);
    expect(req.headers['ce-id']).toBe(j.headers.id);
    expect(req.headers['webhook-timestamp']).toBe(String(T0 / 1000));
    expect(req.headers.traceparent).toBe(j.headers.traceparent);
    expect(req.headers['ce-subject']).toBe('mother-1');
    expect(f.deps.openSecret).toHaveBeenCalledWith('sub_1', `sealed:${SECRET}`);
    expect(verifySignature(SECRET, j.headers.id, T0 / 1000, req.body, req.headers['webhook-signature'] ?? '')).toBe(true);
    expect(f.deps.open).toHaveBeenCalledWith(room, j.headers, j.value);
    expect(JSON.parse(req.body)).toMatchObject({ id: j.headers.id, sequence: 41, partition: 2, key: 'mother-1', room: 'DEV/GOV/MOH/births', event: { weight: 3200 } });
  });

  it('marks the event SENT only when the attempt takes longer than 250 ms', async () => {
    const quick = fakeDeps([{ status: 200, retryAfter: null }]);
    await quick.runner.run(quick.host, job());
    await vi.advanceTimersByTimeAsync(1000);
    expect(quick.deps.markSent).not.toHaveBeenCalled();

    const slow = fakeDeps();
    let answer: (r: HttpResult) => void = () => {};
    slow.deps.send.mockImplementationOnce(() => new Promise<HttpResult>((resolve) => (answer = resolve)));
    const j = job();
    const running = slow.runner.run(slow.host, j);
    await vi.advanceTimersByTimeAsync(249);
    expect(slow.deps.markSent).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(slow.deps.markSent).toHaveBeenCalledWith(sub, j);
    expect(slow.host.tracked).toHaveLength(1); // the SENT write, before the attempt's record
    answer({ status: 200, retryAfter: null });
    await running;
    expect(slow.log).toEqual(['markSent', 'settle']);
    expect(slow.host.tracked).toHaveLength(2);
  });
});

describe('DeliveryRunner: retryable outcomes', () => {
  it('a 503 suspends the job until the retry time the policy gives, then the next run delivers', async () => {
    const f = fakeDeps([
      { status: 503, retryAfter: null },
      { status: 200, retryAfter: null },
    ]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.nextAttempt).toHaveBeenCalledWith(sub, j, T0, null);
    expect(f.deps.nextAttempt.mock.calls[0]?.[1].attempts).toBe(1);
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 4000 }]);
    expect(f.host.settled).toEqual([]);
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
    expect(f.deps.circuitRecord).toHaveBeenCalledWith(sub.pushUrl, false, T0);
    expect(f.records).toEqual([
      expect.objectContaining({ outcome: 'retry', state: 'ERRORED', attempt: 1, httpStatus: 503, errorClass: 'HTTP 503', nextAttemptAt: new Date(T0 + 4000).toISOString() }),
    ]);

    vi.setSystemTime(T0 + 4000);
    await f.runner.run(f.host, j);
    expect(f.host.settled).toEqual([j]);
    expect(f.host.suspended).toHaveLength(1);
    expect(j.attempts).toBe(2);
    expect(f.records[1]).toMatchObject({ outcome: 'delivered', state: 'DELIVERED', attempt: 2, httpStatus: 200 });
    expect(await counter(f.metrics.retries)).toEqual([{ subscription: 'sub_1', value: 1 }]);
  });

  it('a transport error retries with no status and the error code as its class', async () => {
    const f = fakeDeps([{ error: 'ECONNRESET' }]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.nextAttempt).toHaveBeenCalledWith(sub, j, T0, null);
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 4000 }]);
    expect(f.host.settled).toEqual([]);
    expect(f.records[0]).toMatchObject({ outcome: 'retry', state: 'ERRORED', httpStatus: null, errorClass: 'ECONNRESET' });
    expect(j.lastStatus).toBeNull();
  });

  it("a 429 passes its Retry-After to the policy, which sets the retry time (unit.ts's wiring of decideRetry)", async () => {
    const f = fakeDeps([{ status: 429, retryAfter: '30' }]);
    f.deps.nextAttempt.mockImplementation((s, j, nowMs, retryAfter) => {
      const d = decideRetry({ attempt: j.attempts, publishedAtMs: j.publishedAtMs, nowMs, policy: s.retry, ttlSeconds: s.ttlSeconds, retryAfter });
      return d.kind === 'retry' ? { kind: 'retry', at: d.at } : d;
    });
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.nextAttempt).toHaveBeenCalledWith(sub, j, T0, '30');
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 30_000 }]);
    expect(f.records[0]).toMatchObject({ outcome: 'retry', state: 'ERRORED', httpStatus: 429, nextAttemptAt: new Date(T0 + 30_000).toISOString() });
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
  });

  it('a payload that cannot be opened is retried without a request and without counting against the circuit', async () => {
    const f = fakeDeps();
    f.deps.open.mockImplementation(() => {
      throw new Error('room room_1 has no data key k2');
    });
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.send).not.toHaveBeenCalled();
    // Nor does it ask the circuit: it would take a half-open endpoint's one probe and never report back.
    expect(f.deps.circuitWait).not.toHaveBeenCalled();
    expect(f.deps.circuitRecord).not.toHaveBeenCalled();
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 4000 }]);
    expect(f.records[0]).toMatchObject({ outcome: 'retry', state: 'ERRORED', httpStatus: null, errorClass: 'undecryptable' });
    expect(await counter(f.metrics.decryptFailures)).toEqual([{ subscription: 'sub_1', value: 1 }]);
  });
});

describe('DeliveryRunner: final failures', () => {
  it('a non-retryable 4xx fails for good: the dead letter is written before the job settles', async () => {
    const f = fakeDeps([{ status: 400, retryAfter: null }]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.deadLetter).toHaveBeenCalledWith(sub, j, 'rejected', 'HTTP 400');
    expect(f.log).toEqual(['send', 'deadLetter', 'settle']);
    expect(f.host.settled).toEqual([j]);
    expect(f.host.suspended).toEqual([]);
    expect(f.deps.nextAttempt).not.toHaveBeenCalled();
    expect(f.deps.disable).not.toHaveBeenCalled();
    // The endpoint answered: that is a success for its circuit.
    expect(f.deps.circuitRecord).toHaveBeenCalledWith(sub.pushUrl, true, T0);
    expect(f.records.map((r) => [r.outcome, r.state, r.httpStatus, r.errorClass])).toEqual([
      ['failed', 'FAILED', 400, 'HTTP 400'],
      ['dead-lettered', 'FAILED', 400, 'rejected'],
    ]);
    expect(await counter(f.metrics.deadLettered)).toEqual([{ subscription: 'sub_1', reason: 'rejected', value: 1 }]);
  });

  it('410 Gone disables the subscription and is final', async () => {
    const f = fakeDeps([{ status: 410, retryAfter: null }]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.disable).toHaveBeenCalledWith(sub, 'endpoint answered HTTP 410');
    expect(f.deps.deadLetter).toHaveBeenCalledWith(sub, j, 'rejected', 'HTTP 410');
    expect(f.log).toEqual(['send', 'disable', 'deadLetter', 'settle']);
    expect(f.deps.nextAttempt).not.toHaveBeenCalled();
    expect(f.host.suspended).toEqual([]);
  });

  it('a destination refused by the SSRF guard fails for good without a retry', async () => {
    const f = fakeDeps([{ error: 'SSRF_BLOCKED' }]);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.deadLetter).toHaveBeenCalledWith(sub, j, 'rejected', 'SSRF_BLOCKED');
    expect(f.deps.nextAttempt).not.toHaveBeenCalled();
    expect(f.host.settled).toEqual([j]);
  });

  it('when the policy gives up, the dead letter carries its reason and the last failure', async () => {
    for (const because of ['attempts', 'window']) {
      const f = fakeDeps([{ status: 503, retryAfter: '5' }]);
      f.deps.nextAttempt.mockReturnValue({ kind: 'give-up', reason: because });
      const j = job({ attempts: 4 });
      await f.runner.run(f.host, j);

      expect(f.deps.nextAttempt).toHaveBeenCalledWith(sub, j, T0, '5');
      expect(f.deps.deadLetter).toHaveBeenCalledWith(sub, j, because, 'HTTP 503');
      expect(f.log).toEqual(['send', 'deadLetter', 'settle']);
      expect(f.host.suspended).toEqual([]);
      expect(f.records.map((r) => [r.outcome, r.state, r.attempt, r.errorClass])).toEqual([
        ['retry', 'FAILED', 5, 'HTTP 503'],
        ['dead-lettered', 'FAILED', 5, because],
      ]);
      expect(await counter(f.metrics.deadLettered)).toEqual([{ subscription: 'sub_1', reason: because, value: 1 }]);
    }
  });

  it('a dead letter Kafka refused is written again on the next run, without another request, before settling', async () => {
    const f = fakeDeps([{ status: 404, retryAfter: null }]);
    f.deps.deadLetter.mockRejectedValueOnce(new Error('broker not available'));
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.host.settled).toEqual([]);
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 2000 }]);
    expect(j.deadLetter).toEqual({ reason: 'rejected', detail: 'HTTP 404' });
    expect(f.records.map((r) => r.outcome)).toEqual(['failed']);

    vi.setSystemTime(T0 + 2000);
    await f.runner.run(f.host, j);
    expect(f.deps.send).toHaveBeenCalledTimes(1);
    expect(f.deps.isCancelled).toHaveBeenCalledTimes(1);
    expect(f.deps.deadLetter).toHaveBeenCalledTimes(2);
    expect(f.deps.deadLetter).toHaveBeenLastCalledWith(sub, j, 'rejected', 'HTTP 404');
    expect(f.log).toEqual(['send', 'suspend', 'deadLetter', 'settle']);
    expect(f.host.settled).toEqual([j]);
    expect(f.records.map((r) => r.outcome)).toEqual(['failed', 'dead-lettered']);
  });

  it('a record past its TTL when its turn comes is dead-lettered without any request', async () => {
    const f = fakeDeps();
    const j = job({ publishedAtMs: T0 - sub.ttlSeconds * 1000 });
    await f.runner.run(f.host, j);

    expect(f.deps.send).not.toHaveBeenCalled();
    expect(f.deps.open).not.toHaveBeenCalled();
    expect(f.deps.deadLetter).toHaveBeenCalledWith(sub, j, 'expired', "not delivered within the subscription's TTL of 3600 s");
    expect(f.log).toEqual(['deadLetter', 'settle']);
    expect(j.attempts).toBe(0);
    expect(f.records).toEqual([expect.objectContaining({ outcome: 'dead-lettered', state: 'FAILED', attempt: 0, httpStatus: null, errorClass: 'expired', latencyMs: null })]);
  });

  it('a record one millisecond inside its TTL is still attempted', async () => {
    const f = fakeDeps([{ status: 200, retryAfter: null }]);
    const j = job({ publishedAtMs: T0 - sub.ttlSeconds * 1000 + 1 });
    await f.runner.run(f.host, j);

    expect(f.deps.send).toHaveBeenCalledTimes(1);
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
    expect(f.host.settled).toEqual([j]);
  });
});

describe('DeliveryRunner: no attempt', () => {
  it('a cancelled event is settled as CANCELLED without a request or a dead letter', async () => {
    const f = fakeDeps();
    f.deps.isCancelled.mockResolvedValue(true);
    // Cancelled is checked first: even an expired record is cancelled, not dead-lettered.
    const j = job({ publishedAtMs: T0 - 2 * sub.ttlSeconds * 1000 });
    await f.runner.run(f.host, j);

    expect(f.deps.isCancelled).toHaveBeenCalledWith('room_1', 'DEV/GOV/MOH/clinic', j.headers.id);
    expect(f.deps.send).not.toHaveBeenCalled();
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
    expect(f.host.settled).toEqual([j]);
    expect(f.records).toEqual([expect.objectContaining({ outcome: 'cancelled', state: 'CANCELLED', attempt: 0, httpStatus: null })]);
  });

  it('a cancellation mark that cannot be read delivers', async () => {
    const f = fakeDeps([{ status: 200, retryAfter: null }]);
    f.deps.isCancelled.mockRejectedValue(new Error('redis down'));
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.send).toHaveBeenCalledTimes(1);
    expect(f.records[0]).toMatchObject({ outcome: 'delivered', state: 'DELIVERED' });
    expect(f.host.settled).toEqual([j]);
  });

  it('over the rate limit: suspended until the pacer allows, no request, no attempt counted, circuit not asked', async () => {
    const f = fakeDeps();
    f.deps.rateWait.mockReturnValue(T0 + 250);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.rateWait).toHaveBeenCalledWith(sub, T0);
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 250 }]);
    expect(f.deps.circuitWait).not.toHaveBeenCalled();
    expect(f.deps.send).not.toHaveBeenCalled();
    expect(j.attempts).toBe(0);
    expect(f.records).toEqual([]);
    expect(f.host.settled).toEqual([]);
  });

  it('an open circuit: suspended until it may be asked again, no request, no attempt counted', async () => {
    const f = fakeDeps();
    f.deps.circuitWait.mockReturnValue(T0 + 5000);
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.deps.circuitWait).toHaveBeenCalledWith(sub.pushUrl, T0);
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 5000 }]);
    expect(f.deps.send).not.toHaveBeenCalled();
    expect(j.attempts).toBe(0);
    expect(f.records).toEqual([]);
    expect(f.host.settled).toEqual([]);
  });

  it('a stopping host gets the job released, never settled', async () => {
    const f = fakeDeps();
    f.host.stopping = true;
    const j = job();
    await f.runner.run(f.host, j);

    expect(f.host.released).toEqual([j]);
    expect(f.host.settled).toEqual([]);
    expect(f.deps.isCancelled).not.toHaveBeenCalled();
    expect(f.deps.send).not.toHaveBeenCalled();
  });

  it('a host that stops during the attempt drops its outcome: released, not settled, nothing recorded but the endpoint’s answer', async () => {
    const f = fakeDeps();
    let answer: (r: HttpResult) => void = () => {};
    f.deps.send.mockImplementationOnce(() => new Promise<HttpResult>((resolve) => (answer = resolve)));
    const j = job();
    const running = f.runner.run(f.host, j);
    await vi.advanceTimersByTimeAsync(10);
    f.host.stopping = true;
    answer({ status: 200, retryAfter: null });
    await running;

    expect(f.host.released).toEqual([j]);
    expect(f.host.settled).toEqual([]);
    expect(f.records).toEqual([]);
    // The endpoint did answer: its circuit hears of it (a half-open probe must report back).
    expect(f.deps.circuitRecord).toHaveBeenCalledWith(sub.pushUrl, true, expect.any(Number));
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
  });

  it('a dropped job (partition revoked) is released even with its dead letter pending', async () => {
    const f = fakeDeps();
    const j = job({ dropped: true, deadLetter: { reason: 'rejected', detail: 'HTTP 400' } });
    await f.runner.run(f.host, j);

    expect(f.host.released).toEqual([j]);
    expect(f.deps.deadLetter).not.toHaveBeenCalled();
    expect(f.host.settled).toEqual([]);
  });
});

describe('DeliveryRunner: bookkeeping failures', () => {
  it('a failing delivery-log write is counted but does not hold the delivery back', async () => {
    const f = fakeDeps([{ status: 200, retryAfter: null }]);
    f.deps.recordAttempt.mockRejectedValue(new Error('log topic unavailable'));
    const j = job();
    await f.runner.run(f.host, j);
    await Promise.all(f.host.tracked);

    expect(f.host.settled).toEqual([j]);
    expect((await f.metrics.logFailures.get()).values[0]?.value).toBe(1);
  });

  it('a step that throws is tried again a second later (or released when the host stops)', async () => {
    const f = fakeDeps([{ status: 503, retryAfter: null }]);
    f.deps.nextAttempt.mockImplementation(() => {
      throw new Error('policy bug');
    });
    const j = job();
    await f.runner.run(f.host, j);
    expect(f.host.suspended).toEqual([{ job: j, untilMs: T0 + 1000 }]);
    expect(f.host.settled).toEqual([]);

    const g = fakeDeps();
    g.deps.rateWait.mockImplementation(() => {
      g.host.stopping = true;
      throw new Error('pacer bug');
    });
    const k = job();
    await g.runner.run(g.host, k);
    expect(g.host.released).toEqual([k]);
    expect(g.host.suspended).toEqual([]);
  });
});
