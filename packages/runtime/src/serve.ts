/**
 * Runs a set of units (control plane, ingress, dispatcher, pull) behind one HTTP server:
 * starts them in order, serves their routes with the platform's probes and metrics, and
 * stops them in reverse order. Each service's main.ts and the all-in-one process use it.
 */
import type { Logger } from '@roomcast/core';
import { buildPlatformApp, listen, mergePaths, type OpenApiPaths, openapiDocument } from '@roomcast/http';
import type { Hono } from 'hono';
import { advertisedUrl, type RegistrationSettings, startRegistration } from './process-registry.ts';
import type { Runtime } from './runtime.ts';
import type { TlsListener } from './tls.ts';

export interface Unit {
  name: string;
  routes?: Hono[];
  openapi?: OpenApiPaths;
  checks?: Record<string, () => Promise<void>>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** Ends long-lived responses (live streams) before the listeners close, which waits for them. */
  drain?(): Promise<void>;
  /** Versions of shared dependencies, added to this process's environment samples (the control plane's). */
  dependencies?(): Promise<Record<string, unknown>>;
}

/**
 * One unit made of several (a service with two parts, like the pull service's queues and
 * streams): routes and OpenAPI paths side by side, checks merged, started in order, stopped
 * in reverse order, drained together.
 */
export function composeUnits(name: string, parts: Unit[]): Unit {
  return {
    name,
    routes: parts.flatMap((u) => u.routes ?? []),
    openapi: mergePaths(...parts.flatMap((u) => (u.openapi ? [u.openapi] : []))),
    checks: Object.assign({}, ...parts.map((u) => u.checks ?? {})),
    async start() {
      const started: Unit[] = [];
      try {
        for (const u of parts) {
          await u.start?.();
          started.push(u);
        }
      } catch (err) {
        for (const u of started.reverse()) await u.stop?.().catch(() => {});
        throw err;
      }
    },
    async stop() {
      for (const u of [...parts].reverse()) await u.stop?.();
    },
    async drain() {
      await Promise.all(parts.map((u) => u.drain?.()));
    },
  };
}

export interface ServedUnits {
  url: string;
  /** The composed HTTP app (tests list its routes against the OpenAPI document). */
  app: Hono;
  port: number;
  /** The HTTPS listener's address when one is configured. */
  tlsUrl: string | undefined;
  tlsPort: number | undefined;
  /** This start's id in the process registry (when registration is configured). */
  processId: string | undefined;
  stop(): Promise<void>;
}

export const ROOMCAST_VERSION = '0.1.0';

export async function serveUnits(o: { runtime: Runtime; logger: Logger; host: string; port: number; tls?: TlsListener | undefined; units: Unit[]; metricsText?: (() => Promise<string>) | undefined; metricsToken?: string | undefined; registration?: RegistrationSettings | undefined }): Promise<ServedUnits> {
  const started: Unit[] = [];
  const stopUnits = async () => {
    for (const u of started.reverse()) {
      await u.stop?.().catch((err: unknown) => o.logger.warn('unit stop failed', { unit: u.name, error: err }));
    }
  };
  try {
    for (const u of o.units) {
      await u.start?.();
      started.push(u);
    }
  } catch (err) {
    await stopUnits();
    throw err;
  }
  const app = buildPlatformApp({
    logger: o.logger,
    registry: o.runtime.metrics,
    checks: Object.assign({}, o.runtime.checks, ...o.units.map((u) => u.checks ?? {})),
    openapi: () => openapiDocument(ROOMCAST_VERSION, o.units.flatMap((u) => (u.openapi ? [u.openapi] : []))),
    routes: o.units.flatMap((u) => u.routes ?? []),
    metricsText: o.metricsText,
    metricsToken: o.metricsToken,
  });
  const server = await listen(app, o.host, o.port);
  // The HTTPS listener serves the same app; only the way in (and client certificates) differ.
  const secure = o.tls ? await listen(app, o.host, o.tls.port, o.tls.options).catch(async (err: unknown) => {
    await server.close();
    throw err;
  }) : undefined;
  o.logger.info('listening', { url: server.url, tlsUrl: secure?.url, mutualTls: o.tls?.options.clientCa !== undefined, units: o.units.map((u) => u.name) });
  const withDependencies = o.units.filter((u) => u.dependencies);
  const registration = o.registration
    ? await startRegistration({
        runtime: o.runtime,
        logger: o.logger,
        roles: [...new Set(o.units.map((u) => u.name))],
        // Prometheus scrapes /metrics over plain HTTP; the HTTPS listener serves the same app.
        url: advertisedUrl(server.url, o.registration.advertiseUrl),
        roomcastVersion: ROOMCAST_VERSION,
        settings: o.registration,
        httpConnections: async () => (await server.connections()) + (secure ? await secure.connections() : 0),
        ...(withDependencies.length > 0 ? { dependencies: async () => Object.assign({}, ...(await Promise.all(withDependencies.map((u) => u.dependencies?.())))) } : {}),
      }).catch(async (err: unknown) => {
        await Promise.all([server.close(), secure?.close()]);
        await stopUnits();
        throw err;
      })
    : undefined;
  return {
    url: server.url,
    app,
    port: server.port,
    tlsUrl: secure?.url,
    tlsPort: secure?.port,
    processId: registration?.processId,
    async stop() {
      // Out of the registry (and of discovery) first: nothing should be sent here any more.
      await registration?.stop();
      await Promise.all(o.units.map((u) => u.drain?.().catch((err: unknown) => o.logger.warn('unit drain failed', { unit: u.name, error: err }))));
      await Promise.all([server.close(), secure?.close()]);
      await stopUnits();
    },
  };
}
