/**
 * HTTP metrics for every service, on a prom-client registry passed in by the composition root.
 * Labels use the matched route pattern, never the raw path, to keep cardinality bounded.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RoomcastError } from '@roomcast/core';
import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { Counter, Histogram, type Registry } from 'prom-client';

export class HttpMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'roomcast_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'roomcast_http_request_duration_seconds',
      help: 'Time from request received to response ready, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      await next();
      const route = c.req.routePath || 'unmatched';
      this.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      this.duration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    };
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `/metrics`: the registry's text, or `text()` when given (a cluster worker answering for every
 * worker). With `token` set, only `Authorization: Bearer <token>` may read it (Prometheus:
 * `authorization: {credentials_file: …}`); the comparison takes the same time whatever the guess.
 */
export function metricsRoute(registry: Registry, text?: () => Promise<string>, token?: string): Hono {
  const app = new Hono();
  const expected = token ? digest(token) : undefined;
  app.get('/metrics', async (c) => {
    if (expected) {
      const header = c.req.header('authorization');
      const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1];
      const headers = { 'www-authenticate': 'Bearer realm="metrics"' };
      if (presented === undefined) throw new RoomcastError('auth.missing_credentials', { detail: 'Metrics need the scrape token (ROOMCAST_METRICS_TOKEN) as a bearer token', headers });
      if (!timingSafeEqual(digest(presented), expected)) throw new RoomcastError('auth.invalid_credentials', { detail: 'Wrong metrics scrape token', headers });
    }
    return c.body(await (text ? text() : registry.metrics()), 200, { 'content-type': registry.contentType });
  });
  return app;
}
