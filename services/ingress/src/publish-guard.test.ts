import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { batchItems, itemFailure } from './batch-routes.ts';
import { validationReason, withinTimeout } from './publish-guard.ts';

describe('withinTimeout', () => {
  it('answers with the send when it is in time', async () => {
    await expect(withinTimeout(Promise.resolve(7), 50)).resolves.toBe(7);
  });
  it('rejects with 503 and Retry-After when Kafka does not answer in time, and swallows a late failure', async () => {
    let fail: (e: Error) => void = () => {};
    const never = new Promise<number>((_, reject) => {
      fail = reject;
    });
    const started = Date.now();
    const err = await withinTimeout(never, 60, 2).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(RoomcastError);
    expect((err as RoomcastError).code).toBe('publish.kafka_unavailable');
    expect((err as RoomcastError).status).toBe(503);
    expect((err as RoomcastError).headers).toEqual({ 'retry-after': '2' });
    fail(new Error('late')); // must not become an unhandled rejection
  });
  it('passes a send failure through unchanged', async () => {
    await expect(withinTimeout(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });
});

describe('validationReason', () => {
  it('labels refused input and nothing else', () => {
    expect(validationReason(new RoomcastError('request.invalid_encoding'))).toBe('invalid_utf8');
    expect(validationReason(new RoomcastError('publish.schema_violation'))).toBe('schema');
    expect(validationReason(new RoomcastError('publish.too_deep'))).toBe('too_deep');
    expect(validationReason(new RoomcastError('publish.kafka_unavailable'))).toBeUndefined();
    expect(validationReason(new Error('x'))).toBeUndefined();
  });
});

describe('batch envelope', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return [(err as RoomcastError).code, (err as RoomcastError).errors?.map((e) => e.pointer)];
    }
    return 'passed';
  };
  it('needs a non-empty events array of at most the limit and nothing else', () => {
    expect(batchItems({ events: [1, 2] }, 2)).toEqual([1, 2]);
    expect(code(() => batchItems([], 2))).toEqual(['request.validation_failed', ['']]);
    expect(code(() => batchItems({}, 2))).toEqual(['request.validation_failed', ['/events']]);
    expect(code(() => batchItems({ events: [] }, 2))).toEqual(['request.validation_failed', ['/events']]);
    expect(code(() => batchItems({ events: [1], owner: 'x', 'a/b': 1 }, 2))).toEqual(['request.validation_failed', ['/owner', '/a~1b']]);
    expect(code(() => batchItems({ events: [1, 2, 3] }, 2))).toEqual(['publish.batch_too_large', ['/events']]);
  });
  it("reports an item's failure as the single route would, pointers made absolute", () => {
    const err = new RoomcastError('publish.schema_violation', { errors: [{ pointer: '/event/weight', message: 'must be integer' }] });
    expect(itemFailure(3, err, 'r')).toEqual({
      index: 3,
      status: 400,
      code: 'publish.schema_violation',
      title: 'Event does not match the event type schema',
      detail: 'Event does not match the event type schema',
      errors: [{ pointer: '/events/3/event/weight', message: 'must be integer' }],
    });
    expect(itemFailure(0, new Error('secret'), 'r')).toMatchObject({ status: 500, code: 'internal', errors: [] });
  });
});
