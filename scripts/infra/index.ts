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
import { CLUSTER_BROKERS, CLUSTER_NODES, CLUSTER_SIZE, clusterDown, clusterUp } from './kafka-cluster.ts';
import { postgres } from './postgres.ts';
import { prometheus } from './prometheus.ts';
import { ownedPid } from './proc.ts';
import { waitFor } from './ready.ts';
import { redis } from './redis.ts';
import { registry } from './registry.ts';

export type { ComponentName, InfraEndpoints } from './config.ts';
export { COMPONENT_NAMES, DEFAULT_ENDPOINTS, ENV_VARS, infraEndpoints, PORTS, VERSIONS } from './config.ts';
export { CLUSTER_BROKERS, CLUSTER_NODES, clusterDown, clusterNode, clusterUp } from './kafka-cluster.ts';

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

/** How many Kafka nodes `up`/`down` mean: 1, the single broker, or the three-node cluster. */
export type KafkaNodes = 1 | typeof CLUSTER_SIZE;

export function kafkaNodesOption(value: string | undefined): KafkaNodes {
  if (value === undefined || value === '1') return 1;
  if (value === String(CLUSTER_SIZE)) return CLUSTER_SIZE;
  throw new Error(`--kafka-nodes must be 1 (the single broker) or ${CLUSTER_SIZE} (the cluster), not ${value}`);
}

/**
 * Starts (or waits for) the requested components and returns where to reach them. With
 * `kafkaNodes: 3`, "kafka" means the three-node cluster (kafka-cluster.ts) instead of the single
 * broker, and the endpoints name its brokers.
 */
export async function infraUp(opts: { components?: string[]; quiet?: boolean; kafkaNodes?: KafkaNodes } = {}): Promise<InfraEndpoints> {
  const log: Log = opts.quiet ? () => {} : (l) => console.log(l);
  const cluster = opts.kafkaNodes === CLUSTER_SIZE && resolveComponents(opts.components).includes('kafka');
  const ep = cluster ? { ...infraEndpoints(), kafkaBrokers: CLUSTER_BROKERS } : infraEndpoints();
  const names = resolveComponents(opts.components).filter((n) => !(cluster && n === 'kafka'));
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
  const started = [...done.values()];
  if (cluster) started.push(clusterUp(log));
  const results = await Promise.allSettled(started);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (errors.length > 0) throw new Error(`infra up failed:\n  ${errors.join('\n  ')}`);
  return ep;
}

/** Stops what we started; the registry goes before the database it writes to. */
export async function infraDown(opts: { components?: string[]; quiet?: boolean; kafkaNodes?: KafkaNodes } = {}): Promise<void> {
  const log: Log = opts.quiet ? () => {} : (l) => console.log(l);
  let names = opts.components ? resolveComponents(opts.components).filter((n) => opts.components?.includes(n)) : [...COMPONENT_NAMES];
  if (opts.kafkaNodes === CLUSTER_SIZE && names.includes('kafka')) {
    names = names.filter((n) => n !== 'kafka');
    await clusterDown(log);
  }
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
  /** A component, or a node of the Kafka cluster (`kafka-1`…). */
  name: string;
  running: boolean;
  external: boolean;
  pid?: number;
  address: string;
  ready: boolean;
  version: string;
};

/** Every component's state; with `kafkaNodes: 3`, or while any of its nodes runs, the cluster's nodes too. */
export async function infraStatus(opts: { kafkaNodes?: KafkaNodes } = {}): Promise<ComponentStatus[]> {
  const ep = infraEndpoints();
  const nodes = opts.kafkaNodes === CLUSTER_SIZE || CLUSTER_NODES.some((n) => ownedPid(pidFile(n.component), n.component.marker) !== undefined) ? CLUSTER_NODES : [];
  const clusterRows = nodes.map(async ({ component: c }) => {
    const pid = ownedPid(pidFile(c), c.marker);
    const ready = pid !== undefined ? await c.ready(ep).catch(() => false) : false;
    return { name: c.name, running: pid !== undefined, external: false, pid, address: c.address(ep), ready, version: await c.version(ep).catch(() => '-') };
  });
  const rows = Promise.all(
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
  return [...(await rows), ...(await Promise.all(clusterRows))];
}

/** Last `lines` lines of each log file of the given components (all when none given). */
export function infraLogs(names: readonly string[] = COMPONENT_NAMES, lines = 40, kafkaNodes: KafkaNodes = 1): string {
  const parts: string[] = [];
  for (const name of resolveComponents(names).filter((n) => names.includes(n))) {
    const files = name === 'kafka' && kafkaNodes === CLUSTER_SIZE ? CLUSTER_NODES.flatMap((n) => n.component.logFiles()) : COMPONENTS[name].logFiles();
    for (const file of files) {
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
