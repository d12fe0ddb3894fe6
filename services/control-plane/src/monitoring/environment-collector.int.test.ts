/**
 * The collector against real PostgreSQL (a schema of this test's own) and Redis (a prefix of its
 * own): each new sample a heartbeat carried is stored once, the discovery file follows the
 * registry, and samples past the retention are deleted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@roomcast/core';
import { createDb, dropSchema, migrate } from '@roomcast/db';
import { createRedis, processRegistryStore, redisKeys } from '@roomcast/redis';
import type { EnvironmentSample, ProcessEntry } from '@roomcast/runtime';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../../scripts/infra/config.ts';
import { EnvironmentCollector } from './environment-collector.ts';
import { EnvironmentStore } from './environment-store.ts';

const ep = infraEndpoints();
const schema = `t_envcol_${randomBytes(4).toString('hex')}`;
const keys = redisKeys(schema);
const redis = createRedis({ url: ep.redisUrl });
const db = createDb({ databaseUrl: ep.databaseUrl, schema });
const DAY = 86_400_000;
const TTL = 60_000;

const sampleAt = (at: Date): EnvironmentSample => ({
  sampledAt: at.toISOString(),
  host: { name: 'h1', uptimeSeconds: 100 },
  os: { platform: 'linux', release: '6', arch: 'x64' },
  cpu: { count: 2, loadAverage: [0, 0, 0] },
  memory: { totalBytes: 10, freeBytes: 5, rssBytes: 1, heapUsedBytes: 1, heapTotalBytes: 1 },
  disk: null,
  process: { pid: 1, uptimeSeconds: 1 },
  connections: { sockets: 1, handles: 1, http: 0 },
  versions: { node: '22', roomcast: '0.1.0' },
});
const entry = (processId: string, roles: string[], port: number, at: Date): ProcessEntry => ({
  processId,
  roles,
  host: 'h1',
  pid: 1,
  url: `http://h1:${port}`,
  startedAt: at.toISOString(),
  heartbeatAt: at.toISOString(),
  versions: { node: '22', roomcast: '0.1.0' },
  sample: sampleAt(at),
});

let sdFile: string;
let collector: EnvironmentCollector;
const store = new EnvironmentStore(db);
const registry = processRegistryStore(redis, keys);

beforeAll(async () => {
  await migrate({ databaseUrl: ep.databaseUrl, schema });
  sdFile = join(await mkdtemp(join(tmpdir(), 'roomcast-envcol-')), 'targets', 'roomcast.json');
  collector = new EnvironmentCollector({ store, registry, logger: createLogger({ level: 'silent' }), metrics: new Registry(), intervalMs: 1000, retentionMs: 30 * DAY, sdFile });
});

afterAll(async () => {
  await redis.del(keys.processes, keys.processExpiry);
  await redis.quit();
  await db.$disconnect();
  await dropSchema(ep.databaseUrl, schema);
});

describe('environment collector', () => {
  it('stores each new sample once, follows the registry in the discovery file, and applies the retention', async () => {
    const now = Date.now();
    const [a, b] = [randomUUID(), randomUUID()];
    // A sample from before the retention, as a long-gone process left it.
    await store.save([{ processId: randomUUID(), roles: ['pull'], sample: sampleAt(new Date(now - 31 * DAY)) }]);
    await registry.beat(a, entry(a, ['ingress'], 8081, new Date(now - 2000)), TTL);
    await registry.beat(b, entry(b, ['control-plane', 'pull'], 8080, new Date(now - 2000)), TTL);

    await collector.tick(now);
    const rows = () => db.environmentSample.findMany({ orderBy: [{ sampledAt: 'asc' }, { processId: 'asc' }] });
    expect((await rows()).map((r) => r.processId).sort()).toEqual([a, b].sort());
    expect(JSON.parse(await readFile(sdFile, 'utf8'))).toEqual([
      { targets: ['h1:8080'], labels: { role: 'control-plane,pull', host: 'h1' } },
      { targets: ['h1:8081'], labels: { role: 'ingress', host: 'h1' } },
    ]);

    // The same heartbeat content again: nothing new. A newer sample of `a`: one more row.
    await collector.tick(now + 1000);
    expect(await rows()).toHaveLength(2);
    await registry.beat(a, entry(a, ['ingress'], 8081, new Date(now - 1000)), TTL);
    await collector.tick(now + 2000);
    expect((await rows()).filter((r) => r.processId === a)).toHaveLength(2);

    // `b` stops: it leaves the discovery file; its stored samples stay for the history.
    await registry.remove(b);
    await collector.tick(now + 3000);
    expect(JSON.parse(await readFile(sdFile, 'utf8'))).toEqual([{ targets: ['h1:8081'], labels: { role: 'ingress', host: 'h1' } }]);
    expect((await rows()).filter((r) => r.processId === b)).toHaveLength(1);

    const history = await store.history({ from: new Date(now - DAY), to: new Date(now + DAY), role: 'ingress', limit: 10 });
    expect(history.map((h) => h.sample.sampledAt)).toEqual([new Date(now - 1000).toISOString(), new Date(now - 2000).toISOString()]);
  });
});
