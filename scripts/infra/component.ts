// The contract every local component implements, and the lifecycle built on it.
//
//   pid file? ──no──▶ port free? ──no──▶ error (someone else's server)
//      │yes              │yes
//   owned & alive? ─no─▶ (remove stale pid file) ─▶ install ─▶ start ─▶ wait ready ─▶ setup
//      │yes
//   ready? ──yes──▶ leave alone
//      │no
//   wait ready (it may still be starting)
import { join } from 'node:path';
import type { ComponentName, InfraEndpoints } from './config.ts';
import { ENV_VARS, HOST, isComponentName, LOCAL } from './config.ts';
import type { AptNeed, Log } from './install.ts';
import { ownedPid, readPid, removePidFile, stopPid } from './proc.ts';
import { tcpOpen, waitFor } from './ready.ts';

export type Component = {
  /** A component name, or a cluster node's (`kafka-2`). */
  name: string;
  /** Folder of the pid file (default `.local/infra/<name>`). */
  dir?: string;
  /** Components whose readiness this one's start needs. */
  dependsOn: ComponentName[];
  /** Ports the local server binds; a foreign listener on any of them blocks `up`. */
  ports: number[];
  /** Text the running process's command line contains (any of them), to tell our pid from a reused one. */
  marker: string | string[];
  startTimeoutMs: number;
  stopSignal: NodeJS.Signals;
  /** Address shown to humans. */
  address: (ep: InfraEndpoints) => string;
  /** One readiness probe against the configured (local or external) endpoint. */
  ready: (ep: InfraEndpoints) => Promise<boolean>;
  /** Debian package providing the binaries, installed in one batch before any start. */
  apt?: AptNeed;
  /** Fetches and prepares what `start` needs; runs only when the component is not running. */
  install: (log: Log) => Promise<void>;
  /** Spawns the server detached and returns its pid. */
  start: () => Promise<number>;
  /** Idempotent post-start work (roles, databases); runs after each fresh start. */
  setup?: () => Promise<void>;
  version: (ep: InfraEndpoints) => Promise<string>;
  logFiles: () => string[];
};

export function pidFile(c: Component): string {
  return join(c.dir ?? join(LOCAL, c.name), `${c.name}.pid`);
}

export type UpOutcome = { state: 'started' | 'running'; pid: number };

/** Brings one local component up (see the diagram above). */
export async function ensureUp(c: Component, ep: InfraEndpoints, log: Log): Promise<UpOutcome> {
  const file = pidFile(c);
  const pid = ownedPid(file, c.marker);
  if (pid !== undefined) {
    if (!(await c.ready(ep).catch(() => false))) await waitReady(c, ep, pid);
    // Setup is idempotent: a running component gets what a newer version of this tool adds.
    await c.setup?.();
    return { state: 'running', pid };
  }
  if (readPid(file) !== undefined) {
    log(`${c.name.padEnd(10)} stale pid file (process gone), restarting`);
    removePidFile(file);
  }
  for (const port of c.ports) {
    if (await tcpOpen(HOST, port)) {
      throw new Error(
        `${c.name}: port ${HOST}:${port} is already in use by a process this tool did not start. ` +
          (isComponentName(c.name) ? `Stop that process, or use it instead by setting ${ENV_VARS[c.name]}.` : 'Stop that process.'),
      );
    }
  }
  await c.install(log);
  const started = await c.start();
  await waitReady(c, ep, started);
  await c.setup?.();
  return { state: 'started', pid: started };
}

async function waitReady(c: Component, ep: InfraEndpoints, pid: number): Promise<void> {
  const logs = c.logFiles().join(', ');
  await waitFor(`${c.name} (pid ${pid})`, () => c.ready(ep), {
    timeoutMs: c.startTimeoutMs,
    abort: () => (ownedPid(pidFile(c), c.marker) === undefined ? `process exited during start; see ${logs}` : undefined),
  });
}

/** Stops the component if our pid file names a live process of ours. */
export async function ensureDown(c: Component): Promise<{ pid: number; how: 'stopped' | 'killed' } | undefined> {
  const file = pidFile(c);
  const pid = ownedPid(file, c.marker);
  if (pid === undefined) {
    removePidFile(file);
    return undefined;
  }
  const how = await stopPid(pid, c.stopSignal, 30_000);
  removePidFile(file);
  return { pid, how };
}
