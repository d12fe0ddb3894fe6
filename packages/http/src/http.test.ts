import { silentLogger } from '@roomcast/core';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readJsonBody } from './json-body.ts';
import { buildPlatformApp } from './server.ts';

function app() {
  const routes = new Hono();
  routes.post('/echo', async (c) => c.json({ got: await readJsonBody(c, 64) }));
  return buildPlatformApp({
    logger: silentLogger,
    registry: new Registry(),
    checks: { ok: async () => {}, broken: async () => Promise.reject(new Error('down')) },
    openapi: () => ({ openapi: '3.1.0' }),
    routes: [routes],
  });
}

describe('platform app', () => {
  it('answers bad bodies with problem+json and stable codes', async () => {
    const a = app();
    const wrongType = await a.request('/echo', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('content-type')).toBe('application/problem+json');
    expect(((await wrongType.json()) as { code: string }).code).toBe('request.unsupported_media_type');

    const bad = await a.request('/echo', { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('request.invalid_json');

    const big = await a.request('/echo', { method: 'POST', body: JSON.stringify({ s: 'x'.repeat(100) }), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe('request.too_large');

    const ok = await a.request('/echo', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(await ok.json()).toEqual({ got: { a: 1 } });
  });

  it('answers unknown routes with route.not_found and echoes request ids', async () => {
    const res = await app().request('/nope', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { code: string; requestId: string };
    expect(body.code).toBe('route.not_found');
    expect(body.requestId).toBe('abc-123');
    expect(res.headers.get('x-request-id')).toBe('abc-123');
  });

  it('reports each readiness check and 503 when one fails', async () => {
    const res = await app().request('/readyz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, unknown> & { ok: { status: string } } };
    expect(body.checks.ok.status).toBe('ok');
    expect(body.checks.broken).toEqual({ status: 'failed', error: 'down' });
    expect((await app().request('/healthz')).status).toBe(200);
  });

  it('exposes HTTP metrics by route pattern', async () => {
    const a = app();
    await a.request('/healthz');
    const text = await (await a.request('/metrics')).text();
    expect(text).toMatch(/roomcast_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  });
});
