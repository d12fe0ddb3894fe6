import { describe, expect, it } from 'vitest';
import { idleTtlMs, LocalBuckets, refill, retryAfterSeconds, takeAll } from './token-bucket.ts';

const ten = { ratePerSec: 10, burst: 20 };

describe('token bucket arithmetic', () => {
  it('starts full, refills at the rate and never beyond the burst', () => {
    expect(refill(undefined, 0, ten)).toBe(20);
    expect(refill({ tokens: 0, at: 1000 }, 1500, ten)).toBe(5);
    expect(refill({ tokens: 15, at: 0 }, 60_000, ten)).toBe(20);
    // A clock that steps back refills nothing (and takes nothing).
    expect(refill({ tokens: 3, at: 2000 }, 1000, ten)).toBe(3);
  });

  it('admits a burst, then refuses with the wait until a token is back', () => {
    let states = [undefined] as Array<{ tokens: number; at: number } | undefined>;
    for (let i = 0; i < 20; i++) {
      const r = takeAll(states, [ten], 0);
      expect(r.allowed).toBe(true);
      states = r.states;
    }
    const refused = takeAll(states, [ten], 0);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 100, limiting: 0 });
    expect(refused.states[0]?.tokens).toBe(0);
    expect(takeAll(refused.states, [ten], 100).allowed).toBe(true);
  });

  it('takes from every bucket or from none, and names the one that waits longest', () => {
    const publisher = { ratePerSec: 10, burst: 5 };
    const room = { ratePerSec: 1, burst: 100 };
    const r = takeAll([{ tokens: 50, at: 0 }, { tokens: 0.5, at: 0 }], [publisher, room], 0);
    expect(r).toMatchObject({ allowed: false, retryAfterMs: 500, limiting: 1 });
    // The publisher bucket was refilled (capped at 5), not taken from.
    expect(r.states[0]?.tokens).toBe(5);
    const ok = takeAll([{ tokens: 2, at: 0 }, { tokens: 3, at: 0 }], [publisher, room], 0, 2);
    expect(ok.allowed).toBe(true);
    expect(ok.states.map((s) => s.tokens)).toEqual([0, 1]);
  });

  it('rounds Retry-After up to whole seconds, at least one', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(idleTtlMs(ten)).toBe(3000);
  });
});

describe('LocalBuckets', () => {
  it('keeps separate buckets per key and stays bounded', () => {
    const local = new LocalBuckets(4);
    const one = { ratePerSec: 1, burst: 1 };
    expect(local.take(['a'], [one], 0).allowed).toBe(true);
    expect(local.take(['a'], [one], 0).allowed).toBe(false);
    expect(local.take(['b'], [one], 0).allowed).toBe(true);
    for (const k of ['c', 'd', 'e', 'f']) local.take([k], [one], 10_000);
    expect(local.size).toBeLessThanOrEqual(4);
  });
});
