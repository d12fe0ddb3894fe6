/**
 * No acknowledged event is lost when the dispatcher crashes: a dispatcher process is killed
 * with SIGKILL at random moments while events are published and delivered (some attempts
 * failing), and restarted each time. In the end every published event reached the subscriber,
 * the first deliveries of each key came in publish order, every redelivery carried the event's
 * own webhook-id, and the duplicates a crash causes are counted and reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type Received, startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';

const EVENTS = 600;
const KEYS = 20;
const KILLS = 3;

let t: TestPlatform;
let seeded: SeededDemo;
let sink: Subscriber;
let dispatcher: ServiceProcess | undefined;
let second: ServiceProcess | undefined;

function dispatcherEnv(): Record<string, string> {
  const ep = infraEndpoints();
  return {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_LOG_LEVEL: 'error',
    // The subscriber listens on loopback, which only development mode lets through the SSRF guard.
    ROOMCAST_DEV_MODE: 'true',
    ROOMCAST_MASTER_KEY: String(t.config.ROOMCAST_MASTER_KEY),
    // The broker's lowest session timeout: a killed member's partitions move on after 6 s.
    ROOMCAST_DISPATCH_SESSION_TIMEOUT_MS: '6000',
    ROOMCAST_DISPATCH_COMMIT_INTERVAL_MS: '100',
  };
}

beforeAll(async () => {
  t = await startTestPlatform('pushcrash', { ROOMCAST_PLATFORM_DISPATCHER: 'false' });
  sink = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sink.url);
  sink.setSecret(seeded.signingSecret);
  // The demo subscription is FIFO; make it wide and quick to retry.
  const call = caller(t.platform.url);
  const patched = await call('PATCH', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, {
    key: seeded.subscriberKey,
    client: DEMO.subscriberClient,
    body: { options: { FIFO: true, maxInFlight: 16, retry: { maxAttempts: 100, initialDelayMs: 100, maxDelayMs: 500, multiplier: 2 } } },
  });
  expect(patched.status).toBe(201);
  expect(patched.body.status).toBe('ACTIVE');
  for (let i = 0; t.platform.routing.current().subscriptions('PUSH').find((s) => s.id === seeded.subscriptionId)?.maxInFlight !== 16; i++) {
    if (i > 100) throw new Error('the PATCH did not reach the routing contract');
    await new Promise((r) => setTimeout(r, 100));
  }
  // Some attempts fail (503), so retries are in flight when the process dies.
  let n = 0;
  sink.respondBy(() => ({ status: ++n % 10 === 0 ? 503 : 204, delayMs: n % 3 }));
  dispatcher = await startService('dispatcher', dispatcherEnv());
});

afterAll(async () => {
  await dispatcher?.kill('SIGKILL');
  await second?.kill('SIGKILL');
  await sink?.close();
  await t?.cleanup();
});

describe('dispatcher crash', () => {
  it('loses nothing across kill -9 and restarts; redeliveries keep their webhook-id; per-key order holds', async () => {
    const published = new Map<string, string[]>();
    const publishing = (async () => {
      for (let i = 0; i < EVENTS; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, async (_, j) => {
            const key = `m${(i + j) % KEYS}`;
            const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: key });
            expect(res.status).toBe(201);
            return [key, String(res.body.id)] as const;
          }),
        );
        // Within one key, publish order = the order the ingress acknowledged (one partition).
        for (const [key, id] of batch) published.set(key, [...(published.get(key) ?? []), id]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 700 + Math.random() * 1500));
      await dispatcher?.kill('SIGKILL');
      dispatcher = await startService('dispatcher', dispatcherEnv());
    }
    await publishing;

    const ids = [...published.values()].flat();
    expect(ids).toHaveLength(EVENTS);
    const ok = (r: Received) => r.status >= 200 && r.status < 300;
    const received = await sink.waitFor((rs) => {
      const done = new Set(rs.filter(ok).map((r) => String(r.headers['webhook-id'])));
      return ids.every((id) => done.has(id));
    }, 120_000);

    // Every request is signed, and its webhook-id is the id of the event it carries.
    expect(received.every((r) => r.verified && r.headers['webhook-id'] === r.json.id)).toBe(true);
    // First successful deliveries of each key follow publish order.
    for (const [key, keyIds] of published) {
      const firsts: string[] = [];
      for (const r of received) if (r.json.key === key && ok(r) && !firsts.includes(String(r.json.id))) firsts.push(String(r.json.id));
      expect(firsts).toEqual(keyIds);
    }
    const delivered = received.filter(ok).length;
    const duplicates = delivered - EVENTS;
    console.info(`push crash test: ${EVENTS} events, ${KILLS} kill -9, ${received.length} requests, ${delivered} 2xx, ${duplicates} duplicate deliveries, 0 lost`);
    expect(duplicates).toBeGreaterThanOrEqual(0);
  }, 240_000);

  it('shares a subscription between two dispatcher processes, and one takes over when the other dies', async () => {
    const attemptsOf = async (p: ServiceProcess) => {
      const text = await (await fetch(`${p.url}/metrics`)).text();
      return [...text.matchAll(/^roomcast_delivery_attempts_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    second = await startService('dispatcher', dispatcherEnv());
    const a = dispatcher as ServiceProcess;
    const ok = (r: Received) => r.status >= 200 && r.status < 300;
    const publishSome = async (n: number, tag: string) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `${tag}${i % KEYS}` });
        expect(res.status).toBe(201);
        ids.push(String(res.body.id));
      }
      return ids;
    };
    const allDelivered = (ids: string[]) =>
      sink.waitFor((rs) => {
        const done = new Set(rs.filter(ok).map((r) => String(r.headers['webhook-id'])));
        return ids.every((id) => done.has(id));
      }, 90_000);

    // Once the group has rebalanced over both members, each delivers its partitions' events.
    const before = [await attemptsOf(a), await attemptsOf(second)];
    let shared = false;
    for (let round = 0; round < 10 && !shared; round++) {
      await allDelivered(await publishSome(40, `s${round}-`));
      shared = (await attemptsOf(a)) > (before[0] ?? 0) && (await attemptsOf(second)) > (before[1] ?? 0);
    }
    expect(shared).toBe(true);

    const killedAt = Date.now();
    await a.kill('SIGKILL');
    dispatcher = undefined;
    const after = await publishSome(60, 'after-');
    await allDelivered(after);
    // The survivor takes the dead member's partitions once its session (6 s here) has run out.
    const takeoverMs = Date.now() - killedAt;
    console.info(`push crash test: the surviving dispatcher delivered everything published after the kill ${takeoverMs} ms after it (session timeout 6000 ms)`);
    expect(takeoverMs).toBeLessThan(6000 + 10_000);
    expect(await attemptsOf(second)).toBeGreaterThan(0);
  }, 240_000);

  it('skips an event cancelled while no dispatcher was running (marks are loaded at start)', async () => {
    await second?.kill('SIGKILL');
    second = undefined;
    const call = caller(t.platform.url);
    const publishOne = async (motherId: string) => {
      const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId });
      expect(res.status).toBe(201);
      return String(res.body.id);
    };
    const cancelled = await publishOne('cancel-me');
    const del = await call('DELETE', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/${cancelled}`, { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect(del.status).toBe(204);
    const kept = await publishOne('cancel-me');
    const spawned = Date.now();
    dispatcher = await startService('dispatcher', dispatcherEnv());
    const readyMs = Date.now() - spawned;
    await sink.waitFor((rs) => rs.some((r) => r.headers['webhook-id'] === kept && r.status < 300), 60_000);
    // Recovery of a replacement: ready, then delivering once the group gives it the partitions
    // (the member killed above still holds them until its 6 s session runs out).
    const deliveringMs = Date.now() - spawned;
    console.info(`push crash test: a replacement dispatcher was ready ${readyMs} ms after its start and delivered ${deliveringMs} ms after it`);
    expect(readyMs).toBeLessThan(10_000);
    expect(sink.received.some((r) => r.headers['webhook-id'] === cancelled)).toBe(false);
  }, 120_000);
});
