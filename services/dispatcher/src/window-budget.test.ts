import { describe, expect, it } from 'vitest';
import { WindowBudget } from './window-budget.ts';

const KiB = 1024;

/** A window's side of the budget, as the worker keeps it. */
function windowOf(budget: WindowBudget) {
  let held = 0;
  return {
    get held() {
      return held;
    },
    full: () => budget.full(held),
    take(bytes: number) {
      budget.take(bytes);
      held += bytes;
    },
    give(bytes: number) {
      held -= bytes;
      budget.give(bytes);
    },
    /** Admits `size`-byte records until the budget says wait; answers how many. */
    fill(size: number) {
      let n = 0;
      while (!budget.full(held)) {
        this.take(size);
        n++;
      }
      return n;
    },
  };
}

describe('the process budget across windows', () => {
  it('lets a lone busy window use the whole budget, then makes it wait', () => {
    const budget = new WindowBudget(1024 * KiB, 64 * KiB);
    const w = windowOf(budget);
    expect(w.fill(KiB)).toBe(1024);
    expect(w.full()).toBe(true);
    expect(budget.held).toBe(1024 * KiB);
    w.give(KiB);
    expect(w.full()).toBe(false);
  });

  it('keeps its floor for every window however much one of them took', () => {
    const budget = new WindowBudget(1024 * KiB, 64 * KiB);
    const hog = windowOf(budget);
    hog.fill(KiB);
    const others = Array.from({ length: 3 }, () => windowOf(budget));
    for (const w of others) expect(w.fill(KiB)).toBe(64);
    expect(hog.full()).toBe(true);
    // When the hog gives back enough for the process to fall under its budget, it may take again.
    hog.give(200 * KiB);
    expect(hog.full()).toBe(false);
  });

  it('holds at most the budget plus one floor per window, however many windows fill at once', () => {
    const budget = new WindowBudget(1024 * KiB, 16 * KiB);
    const windows = Array.from({ length: 1000 }, () => windowOf(budget));
    for (const w of windows) w.fill(KiB);
    expect(budget.held).toBeLessThanOrEqual(1024 * KiB + 1000 * 16 * KiB);
    expect(Math.max(...windows.slice(100).map((w) => w.held))).toBe(16 * KiB);
  });

  it('always lets an empty window admit one record, even one larger than the floor', () => {
    const budget = new WindowBudget(64 * KiB, 16 * KiB);
    windowOf(budget).fill(KiB);
    const big = windowOf(budget);
    expect(big.full()).toBe(false);
    big.take(512 * KiB);
    expect(big.full()).toBe(true);
  });

  it('wakes the longest waiting windows once the process is well under its budget, about one per floor of room', () => {
    // Budget 1 MiB, floor 16 KiB: waiters are woken once 64 KiB (a sixteenth) is free.
    const budget = new WindowBudget(1024 * KiB, 16 * KiB);
    const w = windowOf(budget);
    w.fill(KiB);
    const woken: number[] = [];
    const withdraw = Array.from({ length: 10 }, (_, i) => budget.whenRoom(() => woken.push(i)));
    expect(budget.waiting).toBe(10);
    // Room, but less than the slack: nobody is woken yet.
    w.give(KiB);
    w.give(62 * KiB);
    expect(woken).toEqual([]);
    // A waiter that withdrew (its own window found room, or its time ran out) is skipped.
    withdraw[1]?.();
    // 64 KiB free: four floors' worth, the four longest waiting.
    w.give(KiB);
    expect(woken).toEqual([0, 2, 3, 4]);
    expect(budget.waiting).toBe(5);
  });
});
