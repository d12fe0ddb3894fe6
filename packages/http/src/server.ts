/**
 * Builds the HTTP app every Roomcast process serves — request ids, metrics, problem errors,
 * /healthz, /readyz, /metrics and /openapi.json — and listens on an address. Services only
 * mount their own routes; the composition root decides which services share a process.
 */
import { createServer as createHttpsServer } from 'node:https';
import { serve } from '@hono/node-server';
import type { Logger } from '@roomcast/core';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
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
  /** Text served on /metrics instead of the registry's own (cluster workers: every worker's together). */
  metricsText?: (() => Promise<string>) | undefined;
  /** Bearer token required on /metrics (ROOMCAST_METRICS_TOKEN); unset: open. */
  metricsToken?: string | undefined;
}

export function buildPlatformApp(options: PlatformAppOptions): Hono {
  const app = new Hono();
  const metrics = new HttpMetrics(options.registry);
  app.use(requestId());
  app.use(metrics.middleware());
  app.onError(problemErrorHandler(options.logger));
  app.notFound(problemNotFound);
  app.route('/', healthRoutes(options.checks));
  app.route('/', metricsRoute(options.registry, options.metricsText, options.metricsToken));
  app.get('/openapi.json', (c) => c.json(options.openapi()));
  for (const r of options.routes) app.route('/', r);
  return app;
}

export interface RunningServer {
  port: number;
  url: string;
  /** Open connections of the listener (environmental monitoring). */
  connections(): Promise<number>;
  close(): Promise<void>;
}

/** PEM material of an HTTPS listener. */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /**
   * CA certificates that sign client certificates. When set, the listener asks each client for a
   * certificate; one that does not verify still completes the handshake, so the request can be
   * answered 401 `auth.client_certificate_invalid` rather than with a dropped connection.
   */
  clientCa?: string | Buffer;
}

export function listen(app: Hono, host: string, port: number, tls?: TlsOptions): Promise<RunningServer> {
  const secure = tls
    ? {
        createServer: createHttpsServer,
        serverOptions: {
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
        },
      }
    : {};
  return new Promise((resolve, reject) => {
    // WebSocket upgrades run through the same app (authentication, routing, problems); a route
    // accepts one with @hono/node-server's upgradeWebSocket. Clients send little: 64 KiB frames at most.
    const websocket = { server: new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 }) };
    const server = serve({ fetch: app.fetch, hostname: host, port, websocket, ...secure }, (info) => {
      resolve({
        port: info.port,
        url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
        connections: () => new Promise<number>((done, fail) => server.getConnections((err, n) => (err ? fail(err) : done(n)))),
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
