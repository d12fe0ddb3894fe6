// In-process API of the local infrastructure, used by scripts/infra.ts (CLI) and by
// scripts/start.ts / scripts/test.ts, which need endpoints without shelling out.
//
// Components start concurrently; each waits only for its own dependencies (the registry for
// PostgreSQL), so a cold start costs about as long as the slowest JVM. A component named by
// its ROOMCAST_* environment variable is never started here, only waited for.
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import type { Component } from './component.ts';
import { ensureDown, ensureUp, pidFile } from './component.ts';
import type { ComponentName, InfraEndpoints } from './config.ts';
import { COMPONENT_NAMES, ENV_VARS, infraEndpoints, isComponentName, isExternal, LOCAL } from './config.ts';
import type { Log } from './install.ts';
import { ensureApt } from './install.ts';
import { kafka } from './kafka.ts';
import { postgres } from './postgres.ts';
import { prometheus } from './prometheus.ts';
import { ownedPid } from './proc.ts';
import { waitFor } from './ready.ts';
import { redis } from './redis.ts';
import { registry } from './registry.ts';

export type { ComponentName, InfraEndpoints } from './config.ts';
export { COMPONENT_NAMES, DEFAULT_ENDPOINTS, ENV_VARS, infraEndpoints, PORTS, VERSIONS } from './config.ts';

export const COMPONENTS: Record<ComponentName, Component> = { postgres, redis, kafka, registry, prometheus };

const EXTERNAL_TIMEOUT_MS = 60_000;

/** The requested components plus what they depend on, in start order. */
export function resolveComponents(names: readonly string[] = COMPONENT_NAMES): ComponentName[] {
  const unknown = names.filter((n) => !isComponentName(n));
  if (unknown.length > 0) throw new Error(`unknown component(s): ${unknown.join(', ')}; expected ${COMPONENT_NAMES.join(', ')}`);
  const wanted = new Set<ComponentName>();
  const add = (n: ComponentName): void => {
    if (wanted.has(n)) return;
    wanted.add(n);
    for (const d of COMPONENTS[n].dependsOn) add(d);
  };
  for (const n of names as ComponentName[]) add(n);
  return COMPONENT_NAMES.filter((n) => wanted.has(n));
}

export function line(name: string, state: string, address: string, detail = ''): string {
  return `${name.padEnd(10)} ${state.padEnd(8)} ${address.padEnd(22)} ${detail}`.trimEnd();
}

const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Starts (or waits for) the requested components and returns where to reach them. */
export async function infraUp(opts: { components?: string[]; quiet?: boolean } = {}): Promise<InfraEndpoints> {
  const log: Log = opts.quiet ? () => {} : (l) => console.log(l);
  const ep = infraEndpoints();
  const names = resolveComponents(opts.components);
  mkdirSync(LOCAL, { recursive: true });

  // apt cannot run twice at once, so every missing package goes into one install up front.
  const toStart = names.filter((n) => !isExternal(n) && ownedPid(pidFile(COMPONENTS[n]), COMPONENTS[n].marker) === undefined);
  await ensureApt(toStart.flatMap((n) => COMPONENTS[n].apt ?? []), log);

  const done = new Map<ComponentName, Promise<void>>();
  for (const name of names) {
    const c = COMPONENTS[name];
    done.set(
      name,
      (async () => {
        const deps = c.dependsOn.filter((d) => done.has(d));
        await Promise.all(deps.map((d) => done.get(d))).catch(() => {
          throw new Error(`${name}: not started because ${deps.join(', ')} failed`);
        });
        const t0 = performance.now();
        if (isExternal(name)) {
          await waitFor(`${name} at ${c.address(ep)} (${ENV_VARS[name]})`, () => c.ready(ep), { timeoutMs: EXTERNAL_TIMEOUT_MS, intervalMs: 500 });
          log(line(name, 'ready', c.address(ep), `(external via ${ENV_VARS[name]}, ${seconds(t0)})`));
          return;
        }
        const { state, pid } = await ensureUp(c, ep, log);
        log(line(name, state === 'started' ? 'ready' : 'running', c.address(ep), `(pid ${pid}, ${seconds(t0)})`));
      })(),
    );
  }
  const results = await Promise.allSettled(done.values());
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (errors.length > 0) throw new Error(`infra up failed:\n  ${errors.join('\n  ')}`);
  return ep;
}

/** Stops what we started; the registry goes before the database it writes to. */
export async function infraDown(opts: { components?: string[]; quiet?: boolean } = {}): Promise<void> {
  const log: Log = opts.quiet ? () => {} : (l) => console.log(l);
  const names = opts.components ? resolveComponents(opts.components).filter((n) => opts.components?.includes(n)) : [...COMPONENT_NAMES];
  const stop = async (name: ComponentName): Promise<void> => {
    const c = COMPONENTS[name];
    if (isExternal(name)) return log(line(name, 'external', c.address(infraEndpoints()), '(not ours to stop)'));
    const t0 = performance.now();
    const r = await ensureDown(c);
    log(line(name, 'stopped', '', r ? `(pid ${r.pid}${r.how === 'killed' ? ', SIGKILL after timeout' : ''}, ${seconds(t0)})` : '(was not running)'));
  };
  await Promise.all(names.filter((n) => n !== 'postgres').map(stop));
  if (names.includes('postgres')) await stop('postgres');
}

export type ComponentStatus = {
  name: ComponentName;
  running: boolean;
  external: boolean;
  pid?: number;
  address: string;
  ready: boolean;
  version: string;
};

export async function infraStatus(): Promise<ComponentStatus[]> {
  const ep = infraEndpoints();
  return Promise.all(
    COMPONENT_NAMES.map(async (name) => {
      const c = COMPONENTS[name];
      const external = isExternal(name);
      const pid = external ? undefined : ownedPid(pidFile(c), c.marker);
      const ready = external || pid !== undefined ? await c.ready(ep).catch(() => false) : false;
      // Only the registry reports its version over the network; the others' come from local binaries.
      const version = external && name !== 'registry' ? '-' : await c.version(ep).catch(() => '-');
      return { name, running: external ? ready : pid !== undefined, external, pid, address: c.address(ep), ready, version };
    }),
  );
}

/** Last `lines` lines of each log file of the given components (all when none given). */
export function infraLogs(names: readonly string[] = COMPONENT_NAMES, lines = 40): string {
  const parts: string[] = [];
  for (const name of resolveComponents(names).filter((n) => names.includes(n))) {
    for (const file of COMPONENTS[name].logFiles()) {
      parts.push(`==> ${file} <==`, existsSync(file) ? tail(file, lines) : '(no log yet)', '');
    }
  }
  return parts.join('\n');
}

function tail(file: string, lines: number): string {
  const size = statSync(file).size;
  const length = Math.min(size, 256 * 1024);
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
