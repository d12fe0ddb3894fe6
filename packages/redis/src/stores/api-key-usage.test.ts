import { describe, expect, it } from 'vitest';
import { UseThrottle } from './api-key-usage.ts';

describe('UseThrottle', () => {
  it('records the first use of a key, then at most one per interval', () => {
    const t = new UseThrottle(60_000);
    expect(t.due('key_a', 1_000)).toBe(true);
    expect(t.due('key_a', 30_000)).toBe(false);
    expect(t.due('key_b', 30_000)).toBe(true);
    expect(t.due('key_a', 60_999)).toBe(false);
    expect(t.due('key_a', 61_000)).toBe(true);
    expect(t.due('key_a', 61_001)).toBe(false);
  });

  it('stays bounded without losing track of recently recorded keys', () => {
    const t = new UseThrottle(1_000, 4);
    for (const id of ['a', 'b', 'c', 'd']) expect(t.due(id, 0)).toBe(true);
    // Full, all within the interval: the oldest half is forgotten to make room.
    expect(t.due('e', 10)).toBe(true);
    expect(t.due('a', 20)).toBe(true);
    expect(t.due('d', 20)).toBe(false);
    expect(t.due('e', 20)).toBe(false);
    // Later, expired entries are pruned first.
    expect(t.due('f', 5_000)).toBe(true);
    expect(t.due('f', 5_001)).toBe(false);
  });
});
