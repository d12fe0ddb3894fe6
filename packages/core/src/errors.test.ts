import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, RoomcastError, toProblem } from './errors.ts';

describe('error catalog', () => {
  it('turns a catalog error into problem details with field errors', () => {
    const err = new RoomcastError('publish.schema_violation', { errors: [{ pointer: '/event/age', message: 'must be integer' }] });
    expect(toProblem(err, 'req-1')).toEqual({
      type: 'https://roomcast.dev/problems/publish.schema_violation',
      title: 'Event does not match the event type schema',
      status: 400,
      detail: 'Event does not match the event type schema',
      code: 'publish.schema_violation',
      requestId: 'req-1',
      errors: [{ pointer: '/event/age', message: 'must be integer' }],
    });
  });

  it('answers unknown errors as internal without leaking their message', () => {
    const problem = toProblem(new Error('password=hunter2 at db.internal:5432'), 'req-2');
    expect(problem.code).toBe('internal');
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('marks only transient failures retryable', () => {
    expect(new RoomcastError('publish.kafka_unavailable').retryable).toBe(true);
    expect(new RoomcastError('publish.not_allowed').retryable).toBe(false);
  });

  it('matches the published schemas/error-codes.json', () => {
    const published = JSON.parse(readFileSync(new URL('../../../schemas/error-codes.json', import.meta.url), 'utf8')) as {
      codes: Record<string, { status: number; title: string }>;
    };
    const ours = Object.fromEntries(Object.entries(ERROR_CATALOG).map(([code, e]) => [code, { status: e.status, title: e.title }]));
    expect(Object.fromEntries(Object.entries(published.codes).map(([code, e]) => [code, { status: e.status, title: e.title }]))).toEqual(ours);
  });
});
