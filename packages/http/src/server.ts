/**
 * Builds the HTTP app every Roomcast process serves — request ids, metrics, problem errors,
 * /healthz, /readyz, /metrics and /openapi.json — and listens on an address. Services only
 * mount their own routes; the composition root decides which services share a process.
 */
import { serve } from '@hono/node-server';
import type { Logger } from '@roomcast/core';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { healthRoutes, type ReadinessCheck } from './health.ts';
import { HttpMetrics, metricsRoute } from './metrics.ts';
import { problemErrorHandler, problemNotFound } from './problem.ts';
import { requestId } from './request-id.ts';

export interface PlatformAppOptions {
  logger: Logger;
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  openapi: () => Record<string, unknown>;
  routes: Hono[];
}

export function buildPlatformApp(options: PlatformAppOptions): Hono {
  const app = new Hono();
  const metrics = new HttpMetrics(options.registry);
  app.use(requestId());
  app.use(metrics.middleware());
  app.onError(problemErrorHandler(options.logger));
  app.notFound(problemNotFound);
  app.route('/', healthRoutes(options.checks));
  app.route('/', metricsRoute(options.registry));
  app.get('/openapi.json', (c) => c.json(options.openapi()));
  for (const r of options.routes) app.route('/', r);
  return app;
}

export interface RunningServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      resolve({
        port: info.port,
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
