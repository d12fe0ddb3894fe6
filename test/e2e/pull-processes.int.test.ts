/**
 * Stateless pull across processes, every layer real: the platform process and a second pull
 * process (services/pull/src/main.ts) feed and serve one subscription. Concurrent pullers on
 * both never get an event that is leased to another, and every event arrives. Then the second
 * process is killed with SIGKILL between handing an event out and its ack: the event is handed
 * out again after its lease, and events published while its partitions had no owner arrive too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';

const PULL = `${DEMO.roomPath}/pull/v1/${DEMO.eventType}`;

let t: TestPlatform;
let seeded: SeededDemo;
let second: ServiceProcess | undefined;

interface Item {
  id: string;
  receipt: string;
  deliveryCount: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lease(url: string, body: Record<string, unknown>): Promise<Item[]> {
  const r = await caller(url)('POST', `${PULL}/lease`, { key: seeded.subscriberKey, client: DEMO.subscriberClient, body });
  expect(r.status).toBe(200);
  return r.body.items as Item[];
}

async function ack(url: string, receipts: string[]): Promise<number> {
  const r = await caller(url)('POST', `${PULL}/ack`, { key: seeded.subscriberKey, client: DEMO.subscriberClient, body: { receipts } });
  expect(r.status).toBe(200);
  return Number(r.body.acked);
}

/** Publishes `n` events with distinct keys in one batch; returns their ids. */
async function publishMany(n: number, tag: string): Promise<string[]> {
  const events = Array.from({ length: n }, (_, i) => ({ eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId: `${tag}-${i}` } }));
  const r = await caller(t.platform.url)('POST', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/batch`, { key: seeded.publisherKey, client: DEMO.publisherClient, body: { events } });
  expect(r.body.accepted).toBe(n);
  return (r.body.results as { id: string }[]).map((x) => x.id);
}

function pullEnv(): Record<string, string> {
  const ep = infraEndpoints();
  return {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_LOG_LEVEL: 'error',
  };
}

beforeAll(async () => {
  t = await startTestPlatform('pullproc');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  const patched = await caller(t.platform.url)('PATCH', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { key: seeded.subscriberKey, client: DEMO.subscriberClient, body: { delivery: 'PULL' } });
  expect(patched.status).toBe(201);
  second = await startService('pull', pullEnv());
}, 120_000);

afterAll(async () => {
  await second?.kill('SIGKILL');
  await t?.cleanup();
});

describe('two pull processes', () => {
  it('concurrent pullers on both: no event handed out twice while leased, none lost', async () => {
    const urls = [t.platform.url, second?.url as string];
    const ids = await publishMany(300, 'two');
    const wanted = new Set(ids);
    const leased = new Map<string, number>(); // id → puller holding it
    const acked = new Set<string>();
    const violations: string[] = [];
    let handOuts = 0;
    const deadline = Date.now() + 60_000;
    const puller = async (n: number) => {
      const url = urls[n % 2] as string;
      while (acked.size < wanted.size && Date.now() < deadline) {
        const items = await lease(url, { max: 20, waitSeconds: 2, leaseSeconds: 60 });
        for (const i of items) {
          handOuts++;
          const holder = leased.get(i.id);
          if (holder !== undefined) violations.push(`${i.id} handed to puller ${n} while leased to ${holder}`);
          leased.set(i.id, n);
        }
        await pause(5);
        if (items.length > 0) expect(await ack(urls[(n + 1) % 2] as string, items.map((i) => i.receipt))).toBe(items.length);
        for (const i of items) {
          leased.delete(i.id);
          acked.add(i.id);
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(puller));
    expect(violations).toEqual([]);
    expect([...wanted].filter((id) => !acked.has(id))).toEqual([]);
    // Leases were long and acks prompt: every event was handed out exactly once.
    expect(handOuts).toBe(wanted.size);
  }, 90_000);

  it('kill -9 between hand-out and ack: handed out again after the lease; nothing published meanwhile is lost', async () => {
    const [crashed] = await publishMany(1, 'crash');
    let held: Item | undefined;
    for (const deadline = Date.now() + 30_000; !held && Date.now() < deadline; ) {
      [held] = await lease(second?.url as string, { max: 1, waitSeconds: 2, leaseSeconds: 3 });
    }
    expect(held?.id).toBe(crashed);
    await second?.kill('SIGKILL');
    second = undefined;
    const meanwhile = await publishMany(40, 'after-crash');
    const again: Item[] = [];
    const want = new Set([crashed as string, ...meanwhile]);
    // The dead process's partitions move to the platform's feeder after its session times out.
    for (const deadline = Date.now() + 75_000; [...want].some((id) => !again.some((i) => i.id === id)) && Date.now() < deadline; ) {
      const items = await lease(t.platform.url, { max: 100, waitSeconds: 5 });
      again.push(...items);
      if (items.length > 0) await ack(t.platform.url, items.map((i) => i.receipt));
    }
    expect(again.find((i) => i.id === crashed)?.deliveryCount).toBe(2);
    expect([...want].filter((id) => !again.some((i) => i.id === id))).toEqual([]);
  }, 120_000);
});
