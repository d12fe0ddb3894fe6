import { ERROR_CATALOG } from '@roomcast/core';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { problemErrorHandler } from './problem.ts';
import { requestId } from './request-id.ts';
import { type AuditEvent, ApiRouter, setAuditTarget } from './route.ts';

const silent = { error() {}, warn() {}, info() {}, debug() {}, child() { return silent; } } as never;

function build() {
  const audits: AuditEvent[] = [];
  const router = new ApiRouter({
    resolve: (hash) => (hash.length > 0 ? { role: 'MEMBER_ADMIN', member: 'DEV/GOV/MOH', keyId: 'key_1' } : undefined),
    audit: async (e) => {
      audits.push(e);
    },
  });
  router.add<{ name: string; size?: number }>({
    method: 'post',
    path: '/things/{thingId}',
    operationId: 'createThing',
    summary: 'Create a thing',
    tags: ['test'],
    audit: 'thing.create',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', maxLength: 5 }, size: { type: 'integer', minimum: 1, default: 3 } },
    },
    responses: { 201: { description: 'Created', schema: { type: 'object' } } },
    handler: (c, { body, params }) => {
      if (body.name === 'boom') throw new Error('unexpected');
      setAuditTarget(c, `thing:${params.thingId}`, 'DEV/GOV/MOH', { name: body.name, secret: 'never' });
      return c.json({ id: params.thingId, ...body }, 201);
    },
  });
  router.add<never, { limit: number }>({
    method: 'get',
    path: '/things',
    operationId: 'listThings',
    summary: 'List',
    tags: ['test'],
    query: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 10, default: 5 } } },
    responses: { 200: { description: 'Things' } },
    handler: (c, { query }) => c.json({ limit: query.limit }),
  });
  const app = new Hono();
  app.use(requestId());
  app.onError(problemErrorHandler(silent));
  app.route('/', router.hono());
  return { app, router, audits };
}

const post = (app: Hono, body: string, headers: Record<string, string> = {}) =>
  app.request('/things/t1', { method: 'POST', body, headers: { authorization: 'Bearer k', 'content-type': 'application/json', ...headers } });

describe('ApiRouter', () => {
  it('validates the body, applies defaults and audits success with the handler’s target', async () => {
    const { app, audits } = build();
    const res = await post(app, JSON.stringify({ name: 'ab' }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 't1', name: 'ab', size: 3 });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ action: 'thing.create', target: 'thing:t1', outcome: 'SUCCESS', member: 'DEV/GOV/MOH' });
  });

  it('names every bad field by JSON pointer, refuses unknown fields, and audits the failure', async () => {
    const { app, audits } = build();
    const res = await post(app, JSON.stringify({ name: 'toolong', size: 0, status: 'ACTIVE', 'a/b': 1 }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { code: string; errors: { pointer: string; message: string }[] };
    expect(problem.code).toBe('request.validation_failed');
    const pointers = problem.errors.map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/a~1b', '/name', '/size', '/status']);
    expect(problem.errors.find((e) => e.pointer === '/status')?.message).toBe('is not an accepted field');
    expect(audits[0]).toMatchObject({ outcome: 'FAILURE', code: 'request.validation_failed' });
  });

  it('reports a missing required field and a non-object body', async () => {
    const { app } = build();
    const missing = (await (await post(app, '{}')).json()) as { errors: { pointer: string; message: string }[] };
    expect(missing.errors).toEqual([{ pointer: '/name', message: 'is required' }]);
    const arr = await post(app, '[1]');
    expect(arr.status).toBe(400);
  });

  it('authenticates before anything else and does not audit anonymous calls', async () => {
    const { app, audits } = build();
    const res = await app.request('/things/t1', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(audits).toHaveLength(0);
  });

  it('answers an unexpected handler error as internal and audits it as a failure', async () => {
    const { app, audits } = build();
    const res = await post(app, JSON.stringify({ name: 'boom' }));
    expect(res.status).toBe(500);
    expect(audits[0]).toMatchObject({ outcome: 'FAILURE', code: 'internal' });
  });

  it('coerces and checks query parameters with pointers under /query', async () => {
    const { app } = build();
    const ok = await app.request('/things?limit=7', { headers: { authorization: 'Bearer k' } });
    expect(await ok.json()).toEqual({ limit: 7 });
    const bad = await app.request('/things?limit=99', { headers: { authorization: 'Bearer k' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe('/query/limit');
  });

  it('describes each route in OpenAPI from the schemas it validates with', () => {
    const { router } = build();
    const doc = router.openapi();
    const op = doc['/things/{thingId}']?.post as Record<string, unknown>;
    expect(op.operationId).toBe('createThing');
    expect((op.requestBody as { content: Record<string, { schema: unknown }> }).content['application/json']?.schema).toBe(router.routes[0]?.body);
    expect(Object.keys(op.responses as object).sort()).toEqual(['201', '400', '401', '403', '413', '415']);
    const list = doc['/things']?.get as { parameters: { name: string; in: string }[] };
    expect(list.parameters).toEqual([expect.objectContaining({ name: 'limit', in: 'query' })]);
    expect(Object.keys(ERROR_CATALOG)).toContain('request.validation_failed');
  });
});
