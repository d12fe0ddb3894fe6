import { describe, expect, it } from 'vitest';
import { PartitionWindow } from './partition-window.ts';

describe('PartitionWindow', () => {
  it('commits only over the contiguous settled prefix', () => {
    const w = new PartitionWindow();
    for (const o of [5, 6, 7, 8]) expect(w.admit(o)).toBe(true);
    expect(w.settle(7)).toBeUndefined();
    expect(w.settle(6)).toBeUndefined();
    expect(w.settle(5)).toBe(8);
    expect(w.size).toBe(1);
    expect(w.unsettled).toBe(1);
    expect(w.settle(8)).toBe(9);
    expect(w.size).toBe(0);
  });

  it('refuses offsets already admitted (a refetch after a rebalance)', () => {
    const w = new PartitionWindow();
    w.admit(10);
    w.admit(11);
    expect(w.admit(11)).toBe(false);
    expect(w.admit(3)).toBe(false);
    expect(w.admit(12)).toBe(true);
  });

  it('handles offset gaps and ignores unknown or repeated settles', () => {
    const w = new PartitionWindow();
    w.admit(1);
    w.admit(4);
    w.admit(9);
    expect(w.settle(2)).toBeUndefined();
    expect(w.settle(4)).toBeUndefined();
    expect(w.settle(4)).toBeUndefined();
    expect(w.settle(1)).toBe(5);
    expect(w.settle(9)).toBe(10);
  });

  it('stays correct across compaction with many offsets', () => {
    const w = new PartitionWindow();
    const n = 10_000;
    for (let o = 0; o < n; o++) w.admit(o);
    // settle in a shuffled-but-deterministic order: odd ones first, then even
    let last: number | undefined;
    for (let o = 1; o < n; o += 2) expect(w.settle(o)).toBeUndefined();
    for (let o = 0; o < n; o += 2) last = w.settle(o) ?? last;
    expect(last).toBe(n);
    expect(w.size).toBe(0);
    expect(w.unsettled).toBe(0);
  });
});
