/**
 * The dispatcher's process-wide memory budget (ROOMCAST_DISPATCH_MEMORY_BYTES) against real
 * Kafka: subscriptions whose endpoints hang fill their windows with a backlog, yet together they
 * hold no more than the budget plus one floor per window (read from the held-bytes gauge), and
 * a subscription added while they are stuck still gets its events at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { metricValue, subscribePush } from '../support/push.ts';

const BUDGET = 4 * 1024 * 1024;
/** WindowBudget's default floor: what each window may hold whatever the others hold. */
const FLOOR = 128 * 1024;
const STUCK = 6;
const BACKLOG = 4000;

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let memberId: string;
const sinks: Subscriber[] = [];

beforeAll(async () => {
  t = await startTestPlatform('budget', {
    ROOMCAST_DISPATCH_MEMORY_BYTES: String(BUDGET),
    ROOMCAST_RATE_PUBLISHER_PER_SEC: '0',
    ROOMCAST_RATE_ROOM_PER_SEC: '0',
    ROOMCAST_PUBLISH_BYTES_PER_SEC: '0',
  });
  call = caller(t.platform.url);
  const demoSink = await startSubscriber();
  sinks.push(demoSink);
  seeded = await seedDemo(t.platform.url, t.adminKey, demoSink.url);
  const m = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'BUDGT', name: 'Budget tests' } });
  expect(m.status).toBe(201);
  memberId = String(m.body.id);
});

afterAll(async () => {
  for (const s of sinks) await s.close();
  await t?.cleanup();
});

const subscribe = async (code: string, options: Record<string, unknown>): Promise<Subscriber> =>
  (await subscribePush(t, call, { id: memberId, code: 'BUDGT' }, code, options, sinks)).sink;

async function heldBytes(): Promise<number> {
  const held = await metricValue(t.platform.url, 'roomcast_delivery_held_bytes');
  if (held === undefined) throw new Error('roomcast_delivery_held_bytes is not exported');
  return held;
}

async function publishBacklog(n: number): Promise<void> {
  for (let start = 0; start < n; start += 100) {
    const events = Array.from({ length: Math.min(100, n - start) }, (_, k) => ({ eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId: `m-${start + k}` } }));
    const res = await call('POST', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/batch`, { key: seeded.publisherKey, client: DEMO.publisherClient, body: { events } });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(events.length);
  }
}

describe('the dispatcher memory budget', () => {
  it('bounds what stuck subscriptions hold together, and a newcomer is still served', async () => {
    for (let i = 0; i < STUCK; i++) {
      const sink = await subscribe(`stuck${i}`, { maxInFlight: 1, timeoutMs: 60_000, retry: { maxAttempts: 100, initialDelayMs: 1000, maxDelayMs: 5000, multiplier: 2 } });
      sink.respondBy(() => ({ status: 204, delayMs: 120_000 }));
    }
    // Without the budget each stuck window would take the whole backlog: 6 × 4000 records ≈ 34 MB.
    await publishBacklog(BACKLOG);
    let most = 0;
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      most = Math.max(most, await heldBytes());
      await new Promise((r) => setTimeout(r, 200));
    }
    // The windows filled up to the budget (there is a backlog for all of them), and no further.
    expect(most).toBeGreaterThan(BUDGET * 0.9);
    expect(most).toBeLessThanOrEqual(BUDGET + (STUCK + 1) * FLOOR + 4096);

    // A subscription added now still gets its events at once: the stuck ones cannot take its floor.
    const fresh = await subscribe('fresh', { maxInFlight: 16 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `fresh-${i}` });
      expect(res.status).toBe(201);
      ids.push(String(res.body.id));
    }
    await fresh.waitFor((rs) => ids.every((id) => rs.some((r) => String(r.headers['webhook-id']) === id && r.status === 204)), 15_000);
    expect(await heldBytes()).toBeLessThanOrEqual(BUDGET + (STUCK + 2) * FLOOR + 4096);
  });
});
