import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.ts';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof RoomcastError ? { code: err.code, pointer: err.errors?.[0]?.pointer, detail: err.message } : undefined;
  }
  return undefined;
};

describe('stream cursor', () => {
  it('round-trips every partition of both lanes, including 64-bit offsets', () => {
    const p = { normal: [0n, 35n, 36n, 9_007_199_254_740_993n], urgent: [7n, 0n, 0n, 1n] };
    const text = encodeCursor('room_a', p);
    expect(text).toMatch(/^1_[0-9A-Za-z]{6}_[0-9a-z-]+_[0-9a-z-]+$/);
    expect(decodeCursor(text, 'room_a', { normal: 4, urgent: 4 }, '/headers/Last-Event-ID')).toEqual(p);
  });

  it('starts partitions the room gained since at their beginning', () => {
    const text = encodeCursor('room_a', { normal: [5n], urgent: [2n] });
    expect(decodeCursor(text, 'room_a', { normal: 3, urgent: 3 }, '/x')).toEqual({ normal: [5n, 0n, 0n], urgent: [2n, 0n, 0n] });
  });

  it('refuses garbage, another room, and more partitions than the room has, naming where it came from', () => {
    const good = encodeCursor('room_a', { normal: [1n, 2n], urgent: [0n, 0n] });
    for (const bad of ['', 'abc', '2_aaaaaa_1_1', `${good}_x`, good.replace(/_1-/, '_!-'), 'x'.repeat(5000)]) {
      expect(refusal(() => decodeCursor(bad, 'room_a', { normal: 2, urgent: 2 }, '/query/cursor'))).toMatchObject({ code: 'request.validation_failed', pointer: '/query/cursor' });
    }
    expect(refusal(() => decodeCursor(good, 'room_b', { normal: 2, urgent: 2 }, '/h'))?.detail).toMatch(/another room/);
    expect(refusal(() => decodeCursor(good, 'room_a', { normal: 2, urgent: 1 }, '/h'))?.detail).toMatch(/more partitions/);
  });
});
