/**
 * Push delivery against real Kafka and real local HTTP subscribers: per-key order while a key
 * keeps failing, retries on the policy's schedule (Retry-After honoured), dead letters at the
 * end of the window, 410 Gone disabling the subscription, and a failing subscriber leaving
 * another at full speed.
 */
import { decodeHeaders } from '@roomcast/kafka';
import { endpointFingerprint } from '@roomcast/dispatcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type Received, startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { metricValue, subscribePush } from '../support/push.ts';
import { topicRecords } from '../support/topic.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let memberId: string;
const sinks: Subscriber[] = [];

beforeAll(async () => {
  t = await startTestPlatform('push');
  call = caller(t.platform.url);
  const demoSink = await startSubscriber();
  sinks.push(demoSink);
  seeded = await seedDemo(t.platform.url, t.adminKey, demoSink.url);
  const m = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'PUSHT', name: 'Push tests' } });
  expect(m.status).toBe(201);
  memberId = String(m.body.id);
});

afterAll(async () => {
  for (const s of sinks) await s.close();
  await t?.cleanup();
});

/** A new application of member PUSHT with an approved PUSH subscription to the demo event type. */
const subscribe = (code: string, options: Record<string, unknown>) => subscribePush(t, call, { id: memberId, code: 'PUSHT' }, code, options, sinks);

async function birth(motherId: string): Promise<string> {
  const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId });
  expect(res.status).toBe(201);
  return String(res.body.id);
}

const idOf = (r: Pick<Received, 'headers'>) => String(r.headers['webhook-id']);
const ok = (r: Received) => r.status >= 200 && r.status < 300;
const deliveredAll = (sink: Subscriber, ids: string[], timeoutMs = 30_000) =>
  sink.waitFor((rs) => ids.every((id) => rs.some((r) => idOf(r) === id && ok(r))), timeoutMs);

async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('push delivery', () => {
  it('keeps per-key order while one key keeps failing, and that key holds back no other', async () => {
    const { sink } = await subscribe('fifo', { FIFO: true, maxInFlight: 8, retry: { maxAttempts: 20, initialDelayMs: 100, maxDelayMs: 300, multiplier: 2 } });
    const tries = new Map<string, number>();
    sink.respondBy((r) => {
      const n = (tries.get(idOf(r)) ?? 0) + 1;
      tries.set(idOf(r), n);
      return { status: r.json.key === 'bad' && n <= 3 ? 503 : 204 };
    });
    const order = new Map<string, string[]>();
    for (let round = 0; round < 5; round++) {
      for (const key of ['a', 'b', 'c', 'bad']) {
        const id = await birth(key);
        order.set(key, [...(order.get(key) ?? []), id]);
      }
    }
    const all = [...order.values()].flat();
    const received = await deliveredAll(sink, all);
    expect(received.every((r) => r.verified)).toBe(true);

    for (const [key, ids] of order) {
      // No request for an event before every earlier event of its key was delivered.
      const done = new Set<string>();
      for (const r of received.filter((x) => x.json.key === key)) {
        const i = ids.indexOf(idOf(r));
        expect(ids.slice(0, i).every((earlier) => done.has(earlier))).toBe(true);
        if (ok(r)) done.add(idOf(r));
      }
    }
    for (const id of order.get('bad') ?? []) expect(received.filter((r) => idOf(r) === id)).toHaveLength(4);
    const lastOk = (key: string) => Math.max(...received.filter((r) => r.json.key === key && ok(r)).map((r) => r.at));
    expect(Math.max(lastOk('a'), lastOk('b'), lastOk('c'))).toBeLessThan(lastOk('bad'));
  });

  it('retries on the back-off schedule within its jitter and honours Retry-After', async () => {
    const { sink } = await subscribe('retry', { retry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 1000, multiplier: 2 } });
    const tries = new Map<string, number>();
    // Decided by key, not id: a delivery may arrive before the publish call has returned the id.
    sink.respondBy((r) => {
      const n = (tries.get(idOf(r)) ?? 0) + 1;
      tries.set(idOf(r), n);
      if (r.json.key === 'retry-2') return n === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 204 };
      return { status: n <= 3 ? 503 : 204 };
    });
    const id = await birth('retry-1');
    const attempts = (await deliveredAll(sink, [id])).filter((r) => idOf(r) === id);
    expect(attempts.map((r) => r.status)).toEqual([503, 503, 503, 204]);
    const gaps = attempts.slice(1).map((r, i) => r.at - (attempts[i] as Received).at);
    // Full jitter: attempt n+1 waits up to min(maxDelay, initial × 2^(n-1)); 250 ms of slack for the machine.
    for (const [i, gap] of gaps.entries()) expect(gap).toBeLessThanOrEqual(Math.min(1000, 200 * 2 ** i) + 250);

    const slowId = await birth('retry-2');
    const slow = (await deliveredAll(sink, [slowId])).filter((r) => idOf(r) === slowId);
    expect(slow.map((r) => r.status)).toEqual([503, 204]);
    expect((slow[1] as Received).at - (slow[0] as Received).at).toBeGreaterThanOrEqual(1900);
  });

  it('dead-letters an event when its window (TTL) ends, with every attempt in the delivery log', async () => {
    const { id: subId, sink } = await subscribe('window', { TTL: 2, retry: { maxAttempts: 100, initialDelayMs: 200, maxDelayMs: 400, multiplier: 2 } });
    sink.respondWith(503);
    const id = await birth('dlq-1');
    const names = t.platform.runtime.names;
    const dead = await eventually(async () => (await topicRecords(t.platform, t.prefix, names.deadLetterTopic())).find((m) => decodeHeaders(m.headers)?.id === id));
    const h = Object.fromEntries(Object.entries(dead.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(h).toMatchObject({ 'rc-dlq-subscription': subId, 'rc-event-type': DEMO.eventType });
    // 'window': the next retry would start after the TTL; 'expired': the TTL passed while the
    // event waited (here: for the endpoint's open circuit, which all these 503s trip).
    expect(['window', 'expired']).toContain(h['rc-dlq-reason']);
    const attempts = sink.received.filter((r) => idOf(r) === id).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(Number(h['rc-dlq-attempts'])).toBe(attempts);
    // The dead letter is the record as stored on the room topic.
    const original = (await topicRecords(t.platform, t.prefix, t.platform.routing.current().roomById(seeded.roomId)?.topic ?? '')).find((m) => decodeHeaders(m.headers)?.id === id);
    expect(original?.value?.equals(dead.value as Buffer)).toBe(true);

    const log = (await topicRecords(t.platform, t.prefix, names.deliveryLogTopic()))
      .map((m) => JSON.parse(String(m.value)) as { eventId: string; subscriptionId: string; outcome: string; attempt: number; httpStatus: number | null })
      .filter((e) => e.eventId === id && e.subscriptionId === subId);
    expect(log.filter((e) => e.outcome === 'retry')).toHaveLength(attempts);
    expect(log.at(-1)).toMatchObject({ outcome: 'dead-lettered', attempt: attempts, errorClass: h['rc-dlq-reason'] });
    expect(JSON.stringify(log)).not.toContain('motherId');
  });

  it('disables the subscription when its endpoint answers 410 Gone', async () => {
    const { id: subId, sink } = await subscribe('gone', {});
    sink.respondWith(410);
    const first = await birth('gone-1');
    await sink.waitFor((rs) => rs.some((r) => idOf(r) === first));
    const status = await eventually(async () => {
      const res = await call('GET', `/api/admin/v1/subscriptions/${subId}`, { key: t.adminKey });
      return res.body.status === 'DISABLED' ? res.body : undefined;
    });
    expect(String(status.statusReason)).toContain('410');
    const before = sink.received.length;
    await birth('gone-2');
    await new Promise((r) => setTimeout(r, 2000));
    expect(sink.received.length).toBe(before);
    expect(sink.received.filter((r) => idOf(r) === first)).toHaveLength(1);
  });

  it('a hanging subscriber does not slow another subscription', async () => {
    const hanging = await subscribe('hangs', { timeoutMs: 500, maxInFlight: 4, retry: { maxAttempts: 100, initialDelayMs: 100, maxDelayMs: 200, multiplier: 2 } });
    hanging.sink.respondBy(() => ({ status: 204, delayMs: 5000 }));
    const fast = await subscribe('fast', { maxInFlight: 16 });
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await birth(`k${i % 7}`));
    await deliveredAll(fast.sink, ids, 15_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(hanging.sink.received.length).toBeGreaterThan(0);
    // Every answer to the hanging one arrives after its timeout: none of them counted as delivered.
    expect(hanging.sink.received.filter((r) => ids.includes(idOf(r))).length).toBeGreaterThan(0);
  });

  it('opens the circuit of a failing endpoint, probes it after the cool-down and closes it again', async () => {
    const { sink } = await subscribe('circuit', { retry: { maxAttempts: 100, initialDelayMs: 100, maxDelayMs: 200, multiplier: 2 } });
    sink.respondWith(503);
    const id = await birth('circuit-1');
    await sink.waitFor((rs) => rs.filter((r) => idOf(r) === id).length >= 5, 15_000);
    const origin = new URL(sink.url).origin;
    const state = async () => {
      const text = await (await fetch(`${t.platform.url}/metrics`)).text();
      // Metrics carry the origin's fingerprint, never the origin itself.
      expect(text).not.toContain(origin);
      return metricValue(t.platform.url, `roomcast_delivery_circuit_state{endpoint="${endpointFingerprint(origin)}"}`);
    };
    expect(await state()).toBe(2);
    const opened = sink.received.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(sink.received.length).toBe(opened); // open: nothing is sent during the cool-down
    sink.respondWith(204);
    await deliveredAll(sink, [id], 20_000);
    expect(await state()).toBe(0);
  });

  it('paces a subscription to its rate limit', async () => {
    const { sink } = await subscribe('paced', { rateLimitPerSec: 5, maxInFlight: 16 });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => birth(`pace-${i}`)));
    const got = (await deliveredAll(sink, ids, 20_000)).filter((r) => ids.includes(idOf(r)));
    const times = got.map((r) => r.at).sort((a, b) => a - b);
    const spread = (times.at(-1) as number) - (times[0] as number);
    // A burst of 5, then one every 200 ms: the last of 20 about 3 s after the first.
    expect(spread).toBeGreaterThanOrEqual(2500);
    expect(spread).toBeLessThan(10_000);
  });
});
