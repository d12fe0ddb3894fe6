/**
 * The ingress as several worker processes sharing one port (ROOMCAST_INGRESS_WORKERS): every
 * worker follows the routing contract itself (a new publisher contract is honoured by all of
 * them), /metrics answers for all workers together, a crashed worker is replaced, and SIGTERM
 * stops the primary and every worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let ingress: ServiceProcess | undefined;

/** Pids of the direct children of `pid` (the workers of an ingress primary). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Running (not exited; an exited orphan may linger as a zombie where nothing reaps it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

const accepted = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^roomcast_publish_requests_total\{[^}]*outcome="accepted"[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
};

beforeAll(async () => {
  t = await startTestPlatform('workers');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  const ep = infraEndpoints();
  ingress = await startService('ingress', {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_LOG_LEVEL: 'error',
    ROOMCAST_INGRESS_WORKERS: '2',
    ROOMCAST_DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:9/none',
  });
}, 120_000);

afterAll(async () => {
  await ingress?.kill('SIGKILL');
  await t?.cleanup();
});

describe('ingress workers', () => {
  it('runs two workers behind one port; /metrics counts the publishes of both', async () => {
    const url = ingress?.url as string;
    const deadline = Date.now() + 20_000;
    while (childrenOf(ingress?.pid as number).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(childrenOf(ingress?.pid as number)).toHaveLength(2);
    const before = await accepted(url);
    // Separate connections (fetch opens new ones under load), so the kernel spreads them.
    const results = await Promise.all(Array.from({ length: 20 }, () => publish(url, seeded.publisherKey, DEMO.sampleEvent)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect((await accepted(url)) - before).toBe(20);
  });

  it('every worker honours a routing change: after a revoke no request is accepted by any worker', async () => {
    const url = ingress?.url as string;
    const res = await fetch(`${t.platform.url}/api/admin/v1/rooms/${seeded.roomId}/publishers?clientId=${encodeURIComponent(DEMO.publisherClient)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    expect(res.status).toBe(200);
    const started = Date.now();
    let statuses: number[] = [];
    while (Date.now() - started < 5000) {
      statuses = (await Promise.all(Array.from({ length: 10 }, () => publish(url, seeded.publisherKey, DEMO.sampleEvent)))).map((r) => r.status);
      if (statuses.every((s) => s === 403)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statuses).toEqual(Array(10).fill(403));
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('replaces a worker that crashed, and SIGTERM stops the primary and every worker', async () => {
    const primary = ingress?.pid as number;
    const [victim] = childrenOf(primary);
    process.kill(victim as number, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let workers: number[] = [];
    while (Date.now() < deadline) {
      workers = childrenOf(primary);
      if (workers.length === 2 && !workers.includes(victim as number)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(victim);
    const stopping = Date.now();
    await ingress?.kill('SIGTERM');
    const stopped = Date.now() + 5000;
    while (workers.some(running) && Date.now() < stopped) await new Promise((r) => setTimeout(r, 100));
    expect(workers.filter(running)).toEqual([]);
    expect(Date.now() - stopping).toBeLessThan(20_000);
  });
});
