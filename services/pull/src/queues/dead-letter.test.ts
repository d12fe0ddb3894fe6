import { recordBytes } from '@roomcast/kafka';
import { describe, expect, it } from 'vitest';
import { chunksOf } from './dead-letter.ts';

const m = (bytes: number) => ({ key: 'k', value: Buffer.alloc(bytes) });

describe('chunksOf', () => {
  it('keeps order, keeps each group within the byte bound, and sends an oversized message alone', () => {
    const one = recordBytes(m(400));
    const messages = [m(400), m(400), m(400), m(5000), m(400)];
    const groups = chunksOf(messages, one * 2);
    expect(groups.map((g) => g.length)).toEqual([2, 1, 1, 1]);
    expect(groups.flat()).toEqual(messages);
    for (const g of groups) if (g.length > 1) expect(g.reduce((n, x) => n + recordBytes(x), 0)).toBeLessThanOrEqual(one * 2);
    expect(chunksOf([], 100)).toEqual([]);
  });
});
