import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { canonicalJson, payloadHash, requestedEventId } from './event-id.ts';

const ID = '0193a5f1-2b3c-7d4e-8f60-123456789abc';

function problem(fn: () => unknown): RoomcastError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RoomcastError) return err;
  }
  throw new Error('expected a RoomcastError');
}

describe('requestedEventId', () => {
  it('takes the id from the body or the Idempotency-Key header, lower-cased', () => {
    expect(requestedEventId({ id: ID.toUpperCase() }, undefined)).toBe(ID);
    expect(requestedEventId({}, ID)).toBe(ID);
    expect(requestedEventId({ id: ID }, ID.toUpperCase())).toBe(ID);
    expect(requestedEventId({}, undefined)).toBeUndefined();
  });

  it('refuses ids that are not UUIDs, and a body id that contradicts the header', () => {
    expect(problem(() => requestedEventId({ id: 'order-1' }, undefined)).errors).toEqual([{ pointer: '/id', message: 'must be a UUID' }]);
    expect(problem(() => requestedEventId({ id: 42 }, undefined)).code).toBe('request.validation_failed');
    expect(problem(() => requestedEventId({}, 'abc')).errors?.[0]?.pointer).toBe('/headers/Idempotency-Key');
    expect(problem(() => requestedEventId({ id: ID }, '0193a5f1-2b3c-7d4e-8f60-000000000000')).errors?.[0]?.pointer).toBe('/id');
  });
});

describe('payload fingerprint', () => {
  it('ignores key order and whitespace, not values, types or the FIFO key', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
    const h = payloadHash('newBirth', { a: 1, b: 'x' }, undefined);
    expect(payloadHash('newBirth', JSON.parse('{ "b": "x",  "a": 1 }'), '')).toBe(h);
    expect(payloadHash('newBirth', { a: 2, b: 'x' }, undefined)).not.toBe(h);
    expect(payloadHash('newBirth', { a: '1', b: 'x' }, undefined)).not.toBe(h);
    expect(payloadHash('death', { a: 1, b: 'x' }, undefined)).not.toBe(h);
    expect(payloadHash('newBirth', { a: 1, b: 'x' }, 'k-1')).not.toBe(h);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
  });
});
