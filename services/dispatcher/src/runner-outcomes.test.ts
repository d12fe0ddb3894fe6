/** DeliveryRunner (runner.ts) with fake dependencies: final failures, jobs that make no attempt, and bookkeeping that fails. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpResult } from './delivery.ts';
import { T0, sub, job, fakeDeps, counter } from './runner-fakes.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
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
