import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitBreakers, type CircuitState, decideRetry, MAX_RETRY_AFTER_MS, Pacer, parseRetryAfter } from './policy.ts';

const policy = { maxAttempts: 10, initialDelayMs: 1000, maxDelayMs: 30_000, multiplier: 2 };
const base = { publishedAtMs: 0, nowMs: 1000, policy, ttlSeconds: 86_400 };

describe('decideRetry', () => {
  it('waits a full-jitter share of the exponential ceiling, capped by maxDelay', () => {
    for (let attempt = 1; attempt <= 9; attempt++) {
      const ceiling = Math.min(30_000, 1000 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const d = decideRetry({ ...base, attempt });
        if (d.kind !== 'retry') throw new Error('expected a retry');
        expect(d.delayMs).toBeGreaterThanOrEqual(0);
        expect(d.delayMs).toBeLessThan(ceiling);
        expect(d.at).toBe(1000 + d.delayMs);
      }
      expect(decideRetry({ ...base, attempt }, () => 0.999_999)).toMatchObject({ delayMs: ceiling - 1 });
      expect(decideRetry({ ...base, attempt }, () => 0)).toMatchObject({ delayMs: 0 });
    }
  });

  it('spreads retries over the whole range (not bunched at the ceiling)', () => {
    const delays = Array.from({ length: 2000 }, () => {
      const d = decideRetry({ ...base, attempt: 4 });
      return d.kind === 'retry' ? d.delayMs : -1;
    });
    const low = delays.filter((d) => d < 4000).length;
    expect(low).toBeGreaterThan(800);
    expect(low).toBeLessThan(1200);
  });

  it('honours Retry-After in seconds or as an HTTP date, capped, instead of the back-off', () => {
    expect(decideRetry({ ...base, attempt: 1, retryAfter: '7' })).toMatchObject({ kind: 'retry', delayMs: 7000 });
    const date = new Date(1000 + 12_000).toUTCString();
    expect(decideRetry({ ...base, attempt: 1, retryAfter: date })).toMatchObject({ kind: 'retry', delayMs: 12_000 });
    expect(decideRetry({ ...base, attempt: 1, retryAfter: '999999' })).toMatchObject({ delayMs: MAX_RETRY_AFTER_MS });
    // Malformed: the back-off decides.
    expect(decideRetry({ ...base, attempt: 1, retryAfter: 'soon' }, () => 0.5)).toMatchObject({ delayMs: 500 });
    expect(decideRetry({ ...base, attempt: 1, retryAfter: '-3' }, () => 0.5)).toMatchObject({ delayMs: 500 });
  });

  it('gives up when the budget is spent or the retry would fall after the window', () => {
    expect(decideRetry({ ...base, attempt: 10 })).toEqual({ kind: 'give-up', reason: 'attempts' });
    expect(decideRetry({ ...base, attempt: 1, ttlSeconds: 2, retryAfter: '5' })).toEqual({ kind: 'give-up', reason: 'window' });
    expect(decideRetry({ ...base, attempt: 1, ttlSeconds: 2, retryAfter: '0' })).toMatchObject({ kind: 'retry' });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and dates, ignores the rest', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('1.5', 0)).toBeUndefined();
    expect(parseRetryAfter(new Date(5000).toUTCString(), 10_000)).toBe(0);
  });
});

describe('CircuitBreaker', () => {
  const settings = { failureThreshold: 3, cooldownMs: 1000, maxCooldownMs: 4000, probeTimeoutMs: 10_000 };

  it('opens after consecutive failures, lets one probe through after the cool-down, closes on its success', () => {
    const b = new CircuitBreaker(settings);
    b.record(false, 0);
    b.record(false, 0);
    b.record(true, 0); // a success resets the count
    for (let i = 0; i < 3; i++) b.record(false, 10);
    expect(b.state).toBe('open');
    expect(b.wait(500)).toBe(1010);
    expect(b.wait(1010)).toBe(0);
    expect(b.state).toBe('half-open');
    expect(b.wait(1011)).toBeGreaterThan(1011); // one probe at a time
    b.record(true, 1100);
    expect(b.state).toBe('closed');
    expect(b.wait(1101)).toBe(0);
  });

  it('doubles the cool-down after a failed probe, up to the maximum', () => {
    const b = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) b.record(false, 0);
    let now = 0;
    for (const expected of [2000, 4000, 4000]) {
      now = b.wait(now) || now;
      expect(b.wait(now)).toBe(0);
      b.record(false, now);
      expect(b.state).toBe('open');
      expect(b.wait(now) - now).toBe(expected);
    }
  });

  it('lets another probe go when the first never reports', () => {
    const b = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) b.record(false, 0);
    expect(b.wait(1000)).toBe(0);
    expect(b.wait(5000)).toBeGreaterThan(5000);
    expect(b.wait(11_000)).toBe(0);
  });

  it('reports state changes per origin', () => {
    const changes: Array<[string, CircuitState, CircuitState]> = [];
    const all = new CircuitBreakers((o, from, to) => changes.push([o, from, to]), settings);
    for (let i = 0; i < 3; i++) all.record('https://a.example/hook?x=1', false, 0);
    expect(all.wait('https://b.example/', 0)).toBe(0);
    expect(all.wait('https://a.example/other', 0)).toBe(1000);
    expect(all.wait('https://a.example/other', 1000)).toBe(0);
    all.record('https://a.example/', true, 1001);
    expect(changes).toEqual([
      ['https://a.example', 'closed', 'open'],
      ['https://a.example', 'open', 'half-open'],
      ['https://a.example', 'half-open', 'closed'],
    ]);
  });
});

describe('Pacer', () => {
  it('allows a burst of one second, then one per interval', () => {
    const p = new Pacer(5);
    const granted = [0, 0, 0, 0, 0].map(() => p.wait(0));
    expect(granted).toEqual([0, 0, 0, 0, 0]);
    expect(p.wait(0)).toBe(200);
    expect(p.wait(200)).toBe(0);
    expect(p.wait(200)).toBe(400);
  });

  it('paces slow rates to one delivery per interval', () => {
    const p = new Pacer(0.5);
    expect(p.wait(0)).toBe(0);
    expect(p.wait(1000)).toBe(2000);
    expect(p.wait(2000)).toBe(0);
  });
});
