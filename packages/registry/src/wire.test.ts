import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, registryReason } from './registry.ts';

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

describe('registryReason', () => {
  it('keeps the registry’s explanation without the client prefix or the Java exception class', () => {
    const raw =
      'Confluent_Schema_Registry - io.apicurio.registry.rules.violation.RuleViolationException: Incompatible artifact: s [JSON], num of incompatible diffs: {1}, list of diff types: [Object type property schemas narrowed at /propertySchemasAdded]';
    expect(registryReason(raw)).toBe('Incompatible artifact: s [JSON], num of incompatible diffs: {1}, list of diff types: [Object type property schemas narrowed at /propertySchemasAdded]');
    expect(registryReason("Subject 'x' not found.")).toBe("Subject 'x' not found.");
  });
});
