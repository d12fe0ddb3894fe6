import { describe, expect, it } from 'vitest';
import { coalescer } from './coalescer.ts';

describe('coalescer', () => {
  it('flushes the calls of one turn together, and at once when full', async () => {
    const flushed: number[][] = [];
    const add = coalescer<number>(async (items) => void flushed.push(items), 3);
    await Promise.all([add(1), add(2), add(3), add(4), add(5)]);
    expect(flushed).toEqual([[1, 2, 3], [4, 5]]);
    await add(6);
    expect(flushed.at(-1)).toEqual([6]);
  });

  it('hands a failed flush to every caller of that batch', async () => {
    const add = coalescer<number>(async () => {
      throw new Error('redis down');
    });
    const results = await Promise.allSettled([add(1), add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
