import { describe, expect, it } from 'vitest';
import { rewriteAddresses } from './kafka-gate.ts';

const i16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v, 0);
  return b;
};
const s = (v: string) => Buffer.concat([i16(v.length), Buffer.from(v)]);
const frame = (...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([i32(body.length), body]);
};

describe('rewriteAddresses', () => {
  it('points every broker of a Metadata v6 answer at the gate and keeps the rest', () => {
    const tail = Buffer.concat([s('cluster-1'), i32(1), i32(0)]); // cluster id, controller, no topics
    const original = frame(i32(42), i32(0), i32(1), i32(1), s('kafka.internal'), i32(19092), i16(-1), tail);
    const out = rewriteAddresses(original, 3, 6, '127.0.0.1', 40000);
    expect(out).toEqual(frame(i32(42), i32(0), i32(1), i32(1), s('127.0.0.1'), i32(40000), i16(-1), tail));
  });
  it('rewrites a FindCoordinator v1 answer and leaves other APIs alone', () => {
    const original = frame(i32(7), i32(0), i16(0), i16(-1), i32(1), s('broker'), i32(19092));
    expect(rewriteAddresses(original, 10, 1, '127.0.0.1', 5)).toEqual(frame(i32(7), i32(0), i16(0), i16(-1), i32(1), s('127.0.0.1'), i32(5)));
    expect(rewriteAddresses(original, 0, 3, '127.0.0.1', 5)).toBe(original);
  });
});
