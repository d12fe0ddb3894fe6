/**
 * Every Roomcast process registers itself in Redis when it starts serving and heartbeats until it
 * stops: process id (random per start), roles (the units it runs), host, pid, the URL it is
 * reached at, versions, start time and its latest environment sample. A graceful stop removes
 * the entry; a killed process's entry expires after the TTL (packages/redis
 * stores/process-registry.ts). The control plane reads the registry for the environmental
 * monitoring API and for Prometheus's file-based discovery.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '@roomcast/core';
import { processRegistryStore } from '@roomcast/redis';
import { Counter } from 'prom-client';
import { type EnvironmentSample, sampleEnvironment } from './environment.ts';
import type { Runtime } from './runtime.ts';

export interface RegistrationSettings {
  heartbeatMs: number;
  ttlMs: number;
  sampleMs: number;
  dataDir: string;
  /** The URL others reach this process at; default the listening address. */
  advertiseUrl?: string | undefined;
}

/** One live process as the registry holds it. */
export interface ProcessEntry {
  processId: string;
  roles: string[];
  host: string;
  pid: number;
  url: string;
  startedAt: string;
  heartbeatAt: string;
  versions: { node: string; roomcast: string };
  sample: EnvironmentSample;
}

export interface Registration {
  processId: string;
  stop(): Promise<void>;
}

/** Registration settings from the common config; a ConfigError when the TTL cannot outlive two heartbeats. */
export function registrationSettings(config: {
  ROOMCAST_HEARTBEAT_INTERVAL_MS: number;
  ROOMCAST_PROCESS_TTL_MS: number;
  ROOMCAST_ENVIRONMENT_SAMPLE_INTERVAL_MS: number;
  ROOMCAST_DATA_DIR?: string | undefined;
  ROOMCAST_ADVERTISE_URL?: string | undefined;
}): RegistrationSettings {
  if (config.ROOMCAST_PROCESS_TTL_MS < 2 * config.ROOMCAST_HEARTBEAT_INTERVAL_MS) {
    throw Object.assign(new Error('ROOMCAST_PROCESS_TTL_MS must be at least twice ROOMCAST_HEARTBEAT_INTERVAL_MS, or one late heartbeat drops a live process from the registry'), {
      name: 'ConfigError',
    });
  }
  return {
    heartbeatMs: config.ROOMCAST_HEARTBEAT_INTERVAL_MS,
    ttlMs: config.ROOMCAST_PROCESS_TTL_MS,
    sampleMs: config.ROOMCAST_ENVIRONMENT_SAMPLE_INTERVAL_MS,
    dataDir: config.ROOMCAST_DATA_DIR ?? process.cwd(),
    advertiseUrl: config.ROOMCAST_ADVERTISE_URL,
  };
}

/** A wildcard listening address names no reachable host: the host name stands in for it. */
export function advertisedUrl(listening: string, configured: string | undefined, hostname = os.hostname()): string {
  if (configured) return configured.replace(/\/+$/, '');
  const u = new URL(listening);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = hostname;
  return u.toString().replace(/\/+$/, '');
}

export async function startRegistration(o: {
  runtime: Runtime;
  logger: Logger;
  roles: string[];
  url: string;
  roomcastVersion: string;
  settings: RegistrationSettings;
  httpConnections?: () => Promise<number>;
  dependencies?: () => Promise<Record<string, unknown>>;
}): Promise<Registration> {
  const store = processRegistryStore(o.runtime.redis, o.runtime.keys);
  const failures = new Counter({
    name: 'roomcast_registry_heartbeat_failures_total',
    help: 'Heartbeats of this process that could not be written to the process registry in Redis',
    registers: [o.runtime.metrics],
  });
  const processId = randomUUID();
  const startedAt = new Date().toISOString();
  const sample = () => sampleEnvironment({ roomcastVersion: o.roomcastVersion, dataDir: o.settings.dataDir, httpConnections: o.httpConnections, dependencies: o.dependencies });
  let latest = await sample();
  let sampledAt = Date.now();
  let failing = false;
  const entry = (): ProcessEntry => ({
    processId,
    roles: o.roles,
    host: latest.host.name,
    pid: process.pid,
    url: o.url,
    startedAt,
    heartbeatAt: new Date().toISOString(),
    versions: latest.versions,
    sample: latest,
  });
  const heartbeat = async () => {
    if (Date.now() - sampledAt >= o.settings.sampleMs) {
      latest = await sample();
      sampledAt = Date.now();
    }
    await store.beat(processId, entry(), o.settings.ttlMs);
  };
  // Registered before the process reports itself started, so discovery sees it at once.
  await heartbeat();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = heartbeat().then(
      () => {
        if (failing) o.logger.info('process heartbeat restored', { processId });
        failing = false;
      },
      (err: unknown) => {
        failures.inc();
        if (!failing) o.logger.warn('process heartbeat failed; retrying', { processId, error: err });
        failing = true;
      },
    );
  }, o.settings.heartbeatMs);
  timer.unref();
  o.logger.info('process registered', { processId, roles: o.roles, url: o.url });
  return {
    processId,
    async stop() {
      clearInterval(timer);
      await running;
      await store.remove(processId).catch((err: unknown) => o.logger.warn('process not deregistered; its entry expires', { processId, error: err }));
    },
  };
}
