/**
 * The operational monitoring API against real Kafka, PostgreSQL, Redis and HTTP subscribers:
 * events published into a room with a push subscription to a good endpoint, one to a failing
 * endpoint and a pull subscription nobody pulls. The series report published and delivered
 * counts, error classes and latency percentiles; the backlog shows the failing subscription's
 * lag and the pull queue's depth with an oldest age; another member's application sees none of
 * it, the central monitoring client all of it; bad parameters are 400 with their pointers.
 */
import { createLogger } from '@roomcast/core';
import { createKafka } from '@roomcast/kafka';
import { createLogApi } from '@roomcast/log-sink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { type Answer, caller, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { subscribePush } from '../support/push.ts';
import { startKafkaGate } from '../support/kafka-gate.ts';
import { createMember, type TestMember } from '../support/room-actors.ts';

const MONITOR = 'DEV/GOV/MON/watch';
const EVENTS = 8;
const OPS = '/api/v1/monitoring/operational';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let failingId: string;
let pullId: string;
let subs: TestMember;
let other: TestMember;
let monitor: TestMember;
let from: string;
const sinks: Subscriber[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await pause(250)) {
    const v = await fn();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  t = await startTestPlatform('opsmon', { ROOMCAST_MONITORING_CLIENTS: MONITOR });
  call = caller(t.platform.url);
  from = new Date(Date.now() - 60_000).toISOString();
  const good = await startSubscriber();
  sinks.push(good);
  seeded = await seedDemo(t.platform.url, t.adminKey, good.url);
  good.setSecret(seeded.signingSecret);
  subs = await createMember(t, 'SUBS');
  const failing = await subscribePush(t, call, { id: subs.id, code: 'SUBS' }, 'failing', { retry: { maxAttempts: 100, initialDelayMs: 200, maxDelayMs: 400, multiplier: 2 } }, sinks);
  failing.sink.respondBy(() => ({ status: 503 }));
  failingId = failing.id;
  // A pull subscription of the same member's application, never pulled.
  const pull = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { key: subs.app.key, client: subs.appClientId, body: { eventType: DEMO.eventType, delivery: 'PULL' } });
  expect(pull.status).toBe(200);
  pullId = String(pull.body.id);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${pullId}/approve`, { key: t.adminKey });
  expect(approved.status).toBe(200);
  await t.platform.routing.waitFor(Number(approved.body.generation));
  other = await createMember(t, 'OTHER');
  monitor = await createMember(t, 'MON', 'watch');
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  await t.platform.routing.waitFor(latest.id);
  for (let i = 0; i < EVENTS; i++) expect((await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `ops-${i}` })).status).toBe(201);
  await good.waitFor((rs) => rs.filter((r) => r.status === 204).length >= EVENTS, 30_000);
}, 180_000);

afterAll(async () => {
  for (const s of sinks) await s.close();
  await t?.cleanup();
});

const asAdmin = () => ({ key: t.adminKey, client: DEMO.subscriberClient });
const asMonitor = () => ({ key: monitor.app.key, client: MONITOR });
const asOther = () => ({ key: other.app.key, client: other.appClientId });
const q = (path: string, params: Record<string, string> = {}) => `${OPS}/${path}?${new URLSearchParams({ from, ...params })}`;
type Point = { published: { count: number } | null; delivered: { count: number }; errors: { total: number; byClass: Record<string, number> }; latencyMs: { p50: number; p95: number; p99: number } | null; attemptMs: unknown };
type Series = { subscription?: string; room: string | null; eventType?: string; points: Point[] };
const total = (s: Series | undefined, pick: (p: Point) => number) => (s?.points ?? []).reduce((n, p) => n + pick(p), 0);

describe('operational monitoring: series', () => {
  it('reports published, delivered, error classes and latency per subscription', async () => {
    const answer = await until('the failing subscription to log errors', async () => {
      const a = await call('GET', q('subscriptions', { bucket: 'minute' }), asAdmin());
      const failing = (a.body.series as Series[] | undefined)?.find((s) => s.subscription === failingId);
      // The endpoint's circuit breaker opens after a few failures, so not every event is tried.
      const good = (a.body.series as Series[]).find((s) => s.subscription === seeded.subscriptionId);
      // The sink writes room topics and the delivery log in parallel: wait for both.
      return total(failing, (p) => p.errors.total) > 0 && total(good, (p) => p.delivered.count) >= EVENTS && total(good, (p) => p.published?.count ?? 0) >= EVENTS ? a : undefined;
    });
    expect(answer.status).toBe(200);
    const series = answer.body.series as Series[];
    const good = series.find((s) => s.subscription === seeded.subscriptionId);
    const failing = series.find((s) => s.subscription === failingId);
    expect(good).toMatchObject({ room: 'DEV/GOV/MOH/births', eventType: DEMO.eventType, subscriber: DEMO.subscriberClient, mode: 'PUSH' });
    expect(total(good, (p) => p.published?.count ?? 0)).toBe(EVENTS);
    expect(total(good, (p) => p.delivered.count)).toBe(EVENTS);
    expect(total(good, (p) => p.errors.total)).toBe(0);
    const latency = good?.points.find((p) => p.latencyMs)?.latencyMs;
    expect(latency?.p50).toBeGreaterThan(0);
    expect(latency?.p99).toBeGreaterThanOrEqual(latency?.p50 ?? Infinity);
    expect(good?.points.some((p) => p.attemptMs !== null)).toBe(true);
    expect(total(failing, (p) => p.delivered.count)).toBe(0);
    expect(total(failing, (p) => p.errors.byClass.http_5xx ?? 0)).toBeGreaterThan(0);
    expect(total(failing, (p) => p.errors.byClass.http_5xx ?? 0)).toBe(total(failing, (p) => p.errors.total));
    expect(total(failing, (p) => p.published?.count ?? 0)).toBe(EVENTS);
  });

  it('reports per room and per event type', async () => {
    const rooms = await call('GET', q('rooms'), asAdmin());
    expect(rooms.status).toBe(200);
    const births = (rooms.body.series as Series[]).find((s) => s.room === 'DEV/GOV/MOH/births');
    expect(total(births, (p) => p.published?.count ?? 0)).toBe(EVENTS);
    expect(total(births, (p) => p.delivered.count)).toBeGreaterThanOrEqual(EVENTS);
    expect(total(births, (p) => p.errors.byClass.http_5xx ?? 0)).toBeGreaterThan(0);
    const types = await call('GET', q('event-types', { room: 'DEV/GOV/MOH/births', eventType: DEMO.eventType }), asMonitor());
    expect(types.status).toBe(200);
    expect((types.body.series as Series[]).map((s) => [s.room, s.eventType])).toEqual([['DEV/GOV/MOH/births', DEMO.eventType]]);
    expect(total((types.body.series as Series[])[0], (p) => p.published?.count ?? 0)).toBe(EVENTS);
  });

  it('widens only the monitoring routes for the central monitoring client, not the log search', async () => {
    const log = await call('GET', `/api/v1/log/events?${new URLSearchParams({ from })}`, asMonitor());
    expect(log.status).toBe(200);
    expect(log.body.items).toEqual([]);
    const rooms = await call('GET', q('rooms'), asMonitor());
    expect(total((rooms.body.series as Series[]).find((s) => s.room === 'DEV/GOV/MOH/births'), (p) => p.published?.count ?? 0)).toBe(EVENTS);
  });

  it('shows another member’s application none of it', async () => {
    for (const path of ['rooms', 'event-types', 'subscriptions']) {
      const a = await call('GET', q(path), asOther());
      expect(a.status, path).toBe(200);
      expect(a.body.series, path).toEqual([]);
    }
    const b = await call('GET', `${OPS}/backlog`, asOther());
    expect(b.status).toBe(200);
    expect(b.body.items).toEqual([]);
  });
});

describe('operational monitoring: backlog', () => {
  it('shows the failing push subscription’s lag, the pull queue’s depth and their oldest age', async () => {
    const answer = await until('the pull queue to be fed', async () => {
      const a = await call('GET', `${OPS}/backlog?partitions=true`, asMonitor());
      const pull = (a.body.items as { subscription: string; queue: { depth: number } | null }[] | undefined)?.find((i) => i.subscription === pullId);
      return (pull?.queue?.depth ?? 0) >= EVENTS ? a : undefined;
    });
    const items = answer.body.items as { subscription: string; mode: string; lag: number; partitions: { lag: number }[]; queue: { depth: number; ready: number; leased: number } | null; oldestAgeSeconds: number | null; complete: boolean }[];
    const byId = new Map(items.map((i) => [i.subscription, i]));
    const failing = byId.get(failingId);
    expect(failing).toMatchObject({ mode: 'PUSH', complete: true, queue: null });
    expect(failing?.lag).toBeGreaterThan(0);
    expect(failing?.partitions.reduce((n, p) => n + p.lag, 0)).toBe(failing?.lag);
    expect(failing?.oldestAgeSeconds).toBeGreaterThan(0);
    const pull = byId.get(pullId);
    expect(pull).toMatchObject({ mode: 'PULL', complete: true, queue: { depth: EVENTS, ready: EVENTS, leased: 0 } });
    expect(pull?.oldestAgeSeconds).toBeGreaterThan(0);
    const good = await until('the good subscription to commit', async () => {
      const a = await call('GET', `${OPS}/backlog?${new URLSearchParams({ subscription: seeded.subscriptionId })}`, asAdmin());
      const item = (a.body.items as { lag: number; oldestAgeSeconds: number | null }[])[0];
      return item?.lag === 0 ? item : undefined;
    });
    expect(good.oldestAgeSeconds).toBeNull();
  });

  it('pages over subscriptions with a cursor, and scopes a member admin to its own', async () => {
    const first = await call('GET', `${OPS}/backlog?limit=1`, asAdmin());
    expect(first.status).toBe(200);
    const seen = [(first.body.items as { subscription: string }[])[0]?.subscription];
    let next = first.body.next as string | null;
    while (next) {
      const page: Answer = await call('GET', `${OPS}/backlog?${new URLSearchParams({ limit: '1', cursor: next })}`, asAdmin());
      seen.push((page.body.items as { subscription: string }[])[0]?.subscription);
      next = page.body.next as string | null;
    }
    expect(new Set(seen)).toEqual(new Set([seeded.subscriptionId, failingId, pullId]));
    const subsAdmin = await call('GET', `${OPS}/backlog?mode=PULL`, subs.admin);
    expect((subsAdmin.body.items as { subscription: string }[]).map((i) => i.subscription)).toEqual([pullId]);
  });
});

describe('operational monitoring: bad input', () => {
  const bad = async (path: string, expected: string[]) => {
    const a = await call('GET', path, asAdmin());
    expect(a.status, path).toBe(400);
    expect(a.contentType ?? '', path).toContain('application/problem+json');
    expect(a.body.code, path).toBe('request.validation_failed');
    expect(pointers(a), path).toEqual(expected);
  };

  it('refuses a missing or malformed range, a bad bucket and unknown parameters, with pointers', async () => {
    await bad(`${OPS}/rooms`, ['/query/from']);
    await bad(`${OPS}/rooms?from=yesterday`, ['/query/from']);
    await bad(`${OPS}/rooms?${new URLSearchParams({ from, to: 'soon' })}`, ['/query/to']);
    await bad(`${OPS}/rooms?${new URLSearchParams({ from, to: new Date(Date.parse(from) - 1000).toISOString() })}`, ['/query/to']);
    await bad(`${OPS}/rooms?${new URLSearchParams({ from: new Date(Date.now() - 40 * 86_400_000).toISOString() })}`, ['/query/to']);
    await bad(`${OPS}/event-types?${new URLSearchParams({ from, bucket: 'week' })}`, ['/query/bucket']);
    await bad(`${OPS}/rooms?${new URLSearchParams({ from, subscription: 'x' })}`, ['/query/subscription']);
    await bad(`${OPS}/subscriptions?${new URLSearchParams({ from, room: 'not-a-room' })}`, ['/query/room']);
    await bad(`${OPS}/backlog?limit=0&mode=STREAM&colour=red`, ['/query/colour', '/query/limit', '/query/mode']);
    await bad(`${OPS}/backlog?cursor=nonsense`, ['/query/cursor']);
  });
});

describe('operational monitoring: Kafka unavailable', () => {
  it('answers the backlog within its time budget, every subscription marked incomplete', async () => {
    // A log API whose Kafka client goes through a gate (the shared broker keeps running for
    // everyone else); closing the gate is, to this client, a stopped broker.
    const gate = await startKafkaGate(infraEndpoints().kafkaBrokers[0] as string);
    const logger = createLogger({ level: 'silent' });
    const kafka = createKafka({ brokers: [gate.broker], clientId: 'monitoring-gated', logger });
    const api = createLogApi({ runtime: { ...t.platform.runtime, kafka }, routing: t.platform.routing, parts: t.platform.log, logger, monitoring: { centralClients: [], backlogBudgetMs: 1000 } });
    const app = api.routes?.[0];
    if (!app) throw new Error('the log API has no routes');
    const backlog = async () => {
      const started = Date.now();
      const res = await app.request(`${OPS}/backlog`, { headers: { authorization: `Bearer ${t.adminKey}`, 'x-govstack-client': DEMO.subscriberClient } });
      return { ms: Date.now() - started, status: res.status, body: (await res.json()) as { items: { subscription: string; lag: number | null; complete: boolean; queue: unknown }[] } };
    };
    try {
      const open = await backlog();
      expect(open.status).toBe(200);
      expect(open.body.items.find((i) => i.subscription === failingId)).toMatchObject({ complete: true });
      gate.close();
      const down = await backlog();
      expect(down.status).toBe(200);
      expect(down.ms).toBeLessThan(2500);
      expect(down.body.items).toHaveLength(3);
      for (const i of down.body.items) expect(i).toMatchObject({ lag: null, complete: false });
      // The pull queue's counts come from Redis, which still answers.
      expect(down.body.items.find((i) => i.subscription === pullId)?.queue).toMatchObject({ depth: EVENTS });
    } finally {
      await gate.stop();
    }
  });
});
