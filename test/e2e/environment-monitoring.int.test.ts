/**
 * Environmental monitoring against real services: the platform (with the control plane) in
 * this process, an ingress and a pull service each as its own OS process, all on one Redis
 * prefix with fast heartbeats. Each process registers and heartbeats; the control plane keeps
 * a Prometheus discovery file and the sample history; a killed process leaves both after the
 * TTL, a stopped one at once; restarts do not grow the registry.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { caller, memberAdminKey, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';

const FAST = { ROOMCAST_HEARTBEAT_INTERVAL_MS: '300', ROOMCAST_PROCESS_TTL_MS: '1500', ROOMCAST_ENVIRONMENT_SAMPLE_INTERVAL_MS: '500' };
const BASE = '/api/v1/monitoring/environment';

type View = Record<string, unknown> & { processId: string; sampledAt: string; roles?: string[]; pid?: number; url?: string };
type Group = { targets: string[]; labels: Record<string, string> };

let t: TestPlatform;
let seeded: SeededDemo;
let sdFile: string;
let ownerAdmin: string;
let ingress: ServiceProcess;
let pull: ServiceProcess;
const startedAt = new Date();

function env(): Record<string, string> {
  const ep = infraEndpoints();
  return {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_DEV_MODE: 'true',
    ROOMCAST_MASTER_KEY: String(t.config.ROOMCAST_MASTER_KEY),
    ROOMCAST_LOG_LEVEL: 'error',
    ...FAST,
  };
}

const api = () => caller(t.platform.url);
const current = async (key: string, query = '') => {
  const r = await api()('GET', `${BASE}${query}`, { key });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.processes as View[];
};
const targets = async (): Promise<Group[]> => JSON.parse(await readFile(sdFile, 'utf8').catch(() => '[]')) as Group[];
const hostOf = (url: string) => new URL(url).host;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  sdFile = join(await mkdtemp(join(os.tmpdir(), 'roomcast-sd-')), 'roomcast.json');
  t = await startTestPlatform('envmon', { ...FAST, ROOMCAST_PROMETHEUS_SD_FILE: sdFile, ROOMCAST_MONITORING_CLIENTS: DEMO.subscriberClient });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  ownerAdmin = await memberAdminKey(t.platform, DEMO.owner.instance, DEMO.owner.memberClass, DEMO.owner.memberCode);
  [ingress, pull] = await Promise.all([startService('ingress', env(), 60_000), startService('pull', env(), 60_000)]);
}, 150_000);

afterAll(async () => {
  await ingress?.kill('SIGKILL');
  await pull?.kill('SIGKILL');
  await t?.cleanup();
});

describe('process registry and discovery', () => {
  it('lists separately started processes in the Prometheus discovery file with their roles', async () => {
    const groups = await until('three targets', async () => {
      const g = await targets();
      return [ingress.url, pull.url, t.platform.url].every((u) => g.some((x) => x.targets.includes(hostOf(u)))) ? g : undefined;
    });
    const label = (url: string) => groups.find((g) => g.targets.includes(hostOf(url)))?.labels;
    expect(label(ingress.url)).toEqual({ role: 'ingress', host: os.hostname() });
    expect(label(pull.url)).toEqual({ role: 'pull', host: os.hostname() });
    expect((label(t.platform.url)?.role ?? '').split(',')).toEqual(expect.arrayContaining(['control-plane', 'ingress', 'dispatcher', 'pull', 'log-api', 'log-sink']));
  });
});

describe('GET /api/v1/monitoring/environment', () => {
  it('answers every live process with plausible values', async () => {
    const processes = await current(t.adminKey);
    const byUrl = (url: string) => processes.find((p) => p.url === url) as View;
    for (const [url, pid] of [[ingress.url, ingress.pid], [pull.url, pull.pid], [t.platform.url, process.pid]] as const) {
      const p = byUrl(url);
      expect(p, url).toBeDefined();
      expect(p.processId).toMatch(/^[0-9a-f-]{36}$/);
      expect(p.pid).toBe(pid);
      expect(p.host).toBe(os.hostname());
      expect(p.os).toEqual({ platform: os.platform(), release: os.release(), arch: os.arch() });
      const cpu = p.cpu as { count: number; loadAverage: number[] };
      expect(cpu.count).toBeGreaterThanOrEqual(1);
      expect(cpu.loadAverage).toHaveLength(3);
      const mem = p.memory as Record<string, number>;
      expect(mem.totalBytes).toBe(os.totalmem());
      expect(mem.freeBytes).toBeGreaterThan(0);
      expect(mem.freeBytes).toBeLessThanOrEqual(mem.totalBytes as number);
      expect(mem.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(mem.heapUsedBytes).toBeLessThanOrEqual(mem.heapTotalBytes as number);
      const disk = p.disk as { totalBytes: number; freeBytes: number };
      expect(disk.totalBytes).toBeGreaterThan(0);
      expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
      const uptime = p.uptime as { processSeconds: number; hostSeconds: number };
      expect(uptime.hostSeconds).toBeGreaterThanOrEqual(uptime.processSeconds);
      const connections = p.connections as { sockets: number; handles: number; http: number };
      expect(connections.sockets).toBeGreaterThanOrEqual(1);
      expect(connections.handles).toBeGreaterThanOrEqual(connections.sockets);
      expect(connections.http).toBeGreaterThanOrEqual(0);
      expect(p.versions).toEqual({ node: process.versions.node, roomcast: '0.1.0' });
      expect(Date.parse(p.heartbeatAt as string)).toBeGreaterThan(Date.now() - 5_000);
    }
    // The shared dependencies' versions: sampled by the control plane only.
    const deps = byUrl(t.platform.url).dependencies as Record<string, Record<string, unknown>>;
    expect(deps.postgres?.version).toMatch(/^\d+/);
    expect(deps.redis?.version).toMatch(/^\d+\.\d+/);
    expect(deps.registry?.version).toMatch(/^\d+\.\d+/);
    expect(deps.kafka?.brokers).toBeGreaterThanOrEqual(1);
    expect(byUrl(ingress.url)).not.toHaveProperty('dependencies');
    // By role: the all-in-one process runs an ingress too.
    const ingresses = await current(t.adminKey, '?role=ingress');
    expect(ingresses.map((p) => p.url).sort()).toEqual([ingress.url, t.platform.url].sort());
  });

  it('shows the central monitoring client everything and other callers the public fields only', async () => {
    const monitor = await current(seeded.subscriberKey);
    expect(monitor.find((p) => p.url === ingress.url)).toHaveProperty('memory');
    for (const key of [ownerAdmin, seeded.publisherKey]) {
      const processes = await current(key);
      expect(processes.length).toBeGreaterThanOrEqual(3);
      for (const p of processes) expect(Object.keys(p).sort()).toEqual(['heartbeatAt', 'processId', 'roles', 'sampledAt', 'startedAt', 'uptime']);
    }
  });

  it('refuses bad input with the pointer', async () => {
    const r = await api()('GET', `${BASE}?role=No%20Such&extra=1`, { key: t.adminKey });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('request.validation_failed');
    expect(pointers(r)).toEqual(['/query/extra', '/query/role']);
    expect((await api()('GET', BASE)).status).toBe(401);
  });
});

describe('GET /api/v1/monitoring/environment/history', () => {
  const from = () => encodeURIComponent(startedAt.toISOString());

  it('answers the stored samples of every process in a date range, newest first, by process and role, in pages', async () => {
    const live = await current(t.adminKey);
    const ids = (url: string) => (live.find((p) => p.url === url) as View).processId;
    const wanted = [ids(ingress.url), ids(pull.url), ids(t.platform.url)];
    const items = await until('two samples of each process', async () => {
      const r = await api()('GET', `${BASE}/history?from=${from()}&limit=500`, { key: t.adminKey });
      const list = r.body.items as View[];
      return wanted.every((id) => list.filter((i) => i.processId === id).length >= 2) ? list : undefined;
    });
    const times = items.map((i) => Date.parse(i.sampledAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(items.every((i) => Date.parse(i.sampledAt) >= startedAt.getTime())).toBe(true);
    expect(items.find((i) => i.processId === ids(ingress.url))).toMatchObject({ roles: ['ingress'], pid: ingress.pid, host: os.hostname() });

    const one = await api()('GET', `${BASE}/history?from=${from()}&process=${ids(pull.url)}`, { key: t.adminKey });
    expect((one.body.items as View[]).length).toBeGreaterThanOrEqual(2);
    expect(new Set((one.body.items as View[]).map((i) => i.processId))).toEqual(new Set([ids(pull.url)]));
    const byRole = await api()('GET', `${BASE}/history?from=${from()}&role=pull&limit=500`, { key: t.adminKey });
    expect(new Set((byRole.body.items as View[]).map((i) => i.processId))).toEqual(new Set([ids(pull.url), ids(t.platform.url)]));

    // A range that ended before the processes started holds none of their samples.
    const before = await api()('GET', `${BASE}/history?from=${encodeURIComponent(new Date(startedAt.getTime() - 3600_000).toISOString())}&to=${from()}`, { key: t.adminKey });
    expect(before.body).toEqual({ items: [], next: null });

    // Pages: disjoint, each older than the one before, until `next` is null.
    const first = await api()('GET', `${BASE}/history?from=${from()}&process=${ids(pull.url)}&limit=1`, { key: t.adminKey });
    const second = await api()('GET', `${BASE}/history?from=${from()}&process=${ids(pull.url)}&limit=1&cursor=${first.body.next as string}`, { key: t.adminKey });
    const [a] = first.body.items as View[];
    const [b] = second.body.items as View[];
    expect(Date.parse((b as View).sampledAt)).toBeLessThan(Date.parse((a as View).sampledAt));
  });

  it('scopes the history like the current view', async () => {
    const r = await api()('GET', `${BASE}/history?from=${from()}&limit=5`, { key: ownerAdmin });
    expect(r.status).toBe(200);
    for (const i of r.body.items as View[]) expect(Object.keys(i).sort()).toEqual(['processId', 'roles', 'sampledAt', 'uptime']);
    const monitor = await api()('GET', `${BASE}/history?from=${from()}&limit=5`, { key: seeded.subscriberKey });
    expect((monitor.body.items as View[])[0]).toHaveProperty('memory');
  });

  it('refuses bad input with the pointer of each bad parameter', async () => {
    const bad = async (query: string) => {
      const r = await api()('GET', `${BASE}/history?${query}`, { key: t.adminKey });
      expect(r.status, query).toBe(400);
      expect(r.body.code).toBe('request.validation_failed');
      return pointers(r);
    };
    const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    expect(await bad('')).toEqual(['/query/from']);
    expect(await bad('from=yesterday&limit=0&process=nope&cursor=')).toEqual(['/query/cursor', '/query/from', '/query/limit', '/query/process']);
    expect(await bad(`from=${at(Date.now())}&to=${at(Date.now() - 1000)}`)).toEqual(['/query/to']);
    expect(await bad(`from=${at(Date.now() - 40 * 86_400_000)}`)).toEqual(['/query/to']);
    expect(await bad(`from=${at(Date.now() - 1000)}&cursor=bm90LWEtY3Vyc29y`)).toEqual(['/query/cursor']);
    expect(await bad(`from=${at(Date.now() - 1000)}&limit=501&unknown=1`)).toEqual(['/query/limit', '/query/unknown']);
  });
});

describe('leaving the registry', () => {
  const registry = () => t.platform.runtime.redis.hkeys(t.platform.runtime.keys.processes);

  it('drops a killed process after the TTL and stays the size of the live processes across restarts', async () => {
    for (let i = 0; i < 3; i++) {
      await ingress.kill('SIGKILL');
      ingress = await startService('ingress', env(), 60_000);
    }
    // Each kill left an entry behind; the TTL (1.5 s) removes them, from discovery too.
    const live = await until('the killed processes to expire', async () => {
      const ids = await registry();
      return ids.length === 3 ? ids : undefined;
    });
    const views = await current(t.adminKey);
    expect(views.map((v) => v.processId).sort()).toEqual([...live].sort());
    expect(views.map((v) => v.url).sort()).toEqual([ingress.url, pull.url, t.platform.url].sort());
    const g = await until('discovery to show the restarted ingress', async () => {
      const groups = await targets();
      return groups.some((x) => x.targets.includes(hostOf(ingress.url))) && groups.length === 3 ? groups : undefined;
    });
    expect(g.map((x) => x.labels.role).filter((r) => r === 'ingress')).toHaveLength(1);

    await ingress.kill('SIGKILL');
    await until('the killed ingress to leave discovery', async () => ((await targets()).some((x) => x.targets.includes(hostOf(ingress.url))) ? undefined : true), 10_000);
    expect((await current(t.adminKey)).some((v) => v.url === ingress.url)).toBe(false);
  }, 120_000);

  it('removes a process at once when it stops gracefully', async () => {
    const id = ((await current(t.adminKey)).find((p) => p.url === pull.url) as View).processId;
    expect(await registry()).toContain(id);
    expect(await pull.kill('SIGTERM')).toBe(0);
    // Well within the TTL: the stop deregistered it.
    expect(await registry()).not.toContain(id);
  });
});
