/** DeliveryRunner (runner.ts) with fake dependencies: deliveries and retryable outcomes. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpResult } from './delivery.ts';
import { decideRetry } from './policy.ts';
import { verifySignature } from './signature.ts';
import { counter, fakeDeps, job, room, SECRET, type Sent, sub, T0 } from './runner-fakes.ts';

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

