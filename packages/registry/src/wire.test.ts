import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire } from './registry.ts';

describe('Confluent wire format', () => {
  it('prefixes the payload with magic byte 0 and the big-endian schema id', () => {
    const buf = encodeWire(258, Buffer.from('{"a":1}'));
    expect([...buf.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(buf.subarray(5).toString()).toBe('{"a":1}');
    expect(decodeWire(buf)).toEqual({ schemaId: 258, payload: Buffer.from('{"a":1}') });
  });
  it('refuses buffers that are not in the wire format', () => {
    expect(decodeWire(Buffer.from('{"a":1}'))).toBeUndefined();
    expect(decodeWire(Buffer.from([0, 0, 1]))).toBeUndefined();
  });
});
