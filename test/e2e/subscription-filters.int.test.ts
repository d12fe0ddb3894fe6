/**
 * Content filters of subscriptions (decision 0028), every layer real: a mixed publish run reaches
 * a filtered push subscription, a filtered pull queue and a filtered live stream with exactly the
 * events their filters match, while the unfiltered subscription gets all; filtered-out events are
 * final (the group's offsets reach the end) and counted; a bad filter is a 400 with the pointer
 * into it and changes nothing; a changed filter applies from the next routing generation; a
 * payload filter works on an encrypted (PHI) event type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { openSse, type SseClient } from '../support/stream-client.ts';

const SUBS = `${DEMO.roomPath}/api/v1/subs`;
const PUSHER = 'DEV/GOV/TAX/filter-push';
const PULLER = 'DEV/GOV/TAX/filter-pull';
const PULL = `${DEMO.roomPath}/pull/v1/${DEMO.eventType}`;

/** Push: female births at two clinics. Pull and stream: heavy births or births in the east wing. */
const PUSH_FILTER = { all: [{ eq: { 'data.gender': 'F' } }, { in: { 'data.place': ['North Clinic', 'South Clinic'] } }] };
const PULL_FILTER = { any: [{ gte: { '/data/weight': 4000 } }, { prefix: { 'data.place': 'East' } }] };

/** The mixed run, all under one key (one partition, so order is publish order), and who should get each. */
const RUN = [
  { gender: 'F', place: 'North Clinic', weight: 3000, push: true, pull: false },
  { gender: 'M', place: 'North Clinic', weight: 4200, push: false, pull: true },
  { gender: 'F', place: 'East Ward', weight: 3100, push: false, pull: true },
  { gender: 'F', place: 'South Clinic', weight: 4500, push: true, pull: true },
  { gender: 'X', place: 'City Hospital', weight: 2500, push: false, pull: false },
  { gender: 'F', place: 'City Hospital', weight: 3900, push: false, pull: false },
  { gender: 'M', place: 'East Ward', weight: 2000, push: false, pull: true },
  { gender: 'F', place: 'North Clinic', weight: 4000, push: true, pull: true },
  // Last and matched by nobody: the filtered subscriptions must commit past it all the same.
  { gender: 'M', place: 'City Hospital', weight: 1000, push: false, pull: false },
];

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let demoSink: Subscriber;
let sink: Subscriber;
let labSink: Subscriber;
let pusherKey: string;
let pullerKey: string;
let pushSub: string;
let pullSub: string;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const asPusher = (method: string, path: string, body?: unknown) => call(method, path, { key: pusherKey, client: PUSHER, body });
const asPuller = (method: string, path: string, body?: unknown) => call(method, path, { key: pullerKey, client: PULLER, body });
const idsAt = (s: Subscriber) => s.received.map((r) => String(r.headers['webhook-id']));

async function newest(): Promise<void> {
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  await t.platform.routing.waitFor(latest.id);
}

async function birth(e: { gender: string; place: string; weight: number }): Promise<string> {
  const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: 'mother-filter', gender: e.gender, place: e.place, weight: e.weight });
  expect(res.status).toBe(201);
  return String(res.body.id);
}

/** The value of roomcast_delivery_filtered_total for a subscription and mode, once it reaches `n`. */
async function filteredReaches(subscription: string, mode: string, n: number): Promise<void> {
  const series = new RegExp(`roomcast_delivery_filtered_total\\{subscription="${subscription}",mode="${mode}"\\} (\\d+)`);
  let seen = 'none';
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await pause(200)) {
    const m = series.exec(await (await fetch(`${t.platform.url}/metrics`)).text());
    seen = m?.[1] ?? 'none';
    if (Number(seen) === n) return;
  }
  throw new Error(`roomcast_delivery_filtered_total for ${subscription}/${mode} is ${seen}, not ${n}`);
}

/** Waits until the subscription's group has committed up to the end of the room's normal lane. */
async function committedToEnd(subscription: string): Promise<void> {
  const topic = t.platform.routing.current().roomById(seeded.roomId)?.topic as string;
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    let last = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await pause(200)) {
      const [got] = await admin.fetchOffsets({ groupId: t.platform.runtime.names.subscriptionGroup(subscription), topics: [topic] });
      const parts = got?.partitions ?? [];
      last = JSON.stringify(parts);
      if (parts.length > 0 && parts.every((p) => p.offset === ends.get(p.partition))) return;
    }
    throw new Error(`group of ${subscription} not committed to the end ${JSON.stringify([...ends])}: ${last}`);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  t = await startTestPlatform('filters');
  call = caller(t.platform.url);
  demoSink = await startSubscriber('/all');
  sink = await startSubscriber('/filtered');
  labSink = await startSubscriber('/lab');
  seeded = await seedDemo(t.platform.url, t.adminKey, demoSink.url);
  const member = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'TAX', name: 'Tax Office' } });
  const app = async (code: string) => String((await call('POST', `/api/admin/v1/members/${String(member.body.id)}/applications`, { key: t.adminKey, body: { code } })).body.apiKey);
  pusherKey = await app('filter-push');
  pullerKey = await app('filter-pull');
}, 90_000);

afterAll(async () => {
  await Promise.all([demoSink?.close(), sink?.close(), labSink?.close()]);
  await t?.cleanup();
});

describe('registration', () => {
  it('refuses a bad filter with 400 and the pointer into it, and creates nothing', async () => {
    const bad = await asPusher('POST', `${SUBS}/${DEMO.eventType}`, {
      eventType: DEMO.eventType,
      options: { pushUrl: sink.url, filter: { all: [{ eq: { 'data.gender': 'F' } }, { eq: { 'data.weight': { gt: 1 } } }, { exists: 'data.__proto__.x' }] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toMatch(/^application\/problem\+json/);
    expect(bad.body.code).toBe('request.validation_failed');
    expect(pointers(bad)).toEqual(['/options/filter/all/1/eq/data.weight', '/options/filter/all/2/exists']);
    const deep = await asPusher('POST', `${SUBS}/${DEMO.eventType}`, { eventType: DEMO.eventType, options: { pushUrl: sink.url, filter: JSON.parse(`${'{"not":'.repeat(500)}{"exists":"data.a"}${'}'.repeat(500)}`) } });
    expect([deep.status, pointers(deep)]).toEqual([400, [`/options/filter${'/not'.repeat(8)}`]]);
    const notObject = await asPusher('POST', `${SUBS}/${DEMO.eventType}`, { eventType: DEMO.eventType, options: { pushUrl: sink.url, filter: 'gender = F' } });
    expect([notObject.status, pointers(notObject)]).toEqual([400, ['/options/filter']]);
    expect((await asPusher('GET', `${SUBS}/${DEMO.eventType}`)).status).toBe(404);
  });

  it('stores the filter and answers it in GET and the list (an extension inside options)', async () => {
    const created = await asPusher('POST', `${SUBS}/${DEMO.eventType}`, { eventType: DEMO.eventType, options: { pushUrl: sink.url, FIFO: true, filter: PUSH_FILTER } });
    expect(created.status).toBe(200);
    expect((created.body.options as Record<string, unknown>).filter).toEqual(PUSH_FILTER);
    pushSub = String(created.body.id);
    sink.setSecret(String(created.body.signingSecret));
    const pulled = await asPuller('POST', `${SUBS}/${DEMO.eventType}`, { eventType: DEMO.eventType, delivery: 'PULL', options: { filter: PULL_FILTER } });
    expect(pulled.status).toBe(200);
    pullSub = String(pulled.body.id);
    for (const id of [pushSub, pullSub]) expect((await call('POST', `/api/admin/v1/subscriptions/${id}/approve`, { key: t.adminKey })).status).toBe(200);
    expect(((await asPusher('GET', `${SUBS}/${DEMO.eventType}`)).body.options as Record<string, unknown>).filter).toEqual(PUSH_FILTER);
    const list = await call('GET', SUBS, { key: pullerKey, client: PULLER });
    expect((list.body as unknown as { options: Record<string, unknown> }[]).map((s) => s.options.filter)).toEqual([PULL_FILTER]);
    // The unfiltered subscription answers as before: no filter field at all.
    const plain = await call('GET', `${SUBS}/${DEMO.eventType}`, { key: seeded.subscriberKey, client: DEMO.subscriberClient });
    expect(plain.body.options).not.toHaveProperty('filter');
    await newest();
  });
});

describe('delivery of a mixed run', () => {
  let ids: string[] = [];
  let stream: SseClient;

  it('push: the filtered subscription gets exactly its matches, in order, the unfiltered one all; the filtered-out are final', async () => {
    stream = await openSse(t.platform.url, `${DEMO.roomPath}/stream/v1/${DEMO.eventType}`, { key: pullerKey, client: PULLER });
    expect(stream.status).toBe(200);
    await stream.waitFor(() => stream.lastEventId, 'the start cursor');
    ids = [];
    for (const e of RUN) ids.push(await birth(e));
    const want = ids.filter((_, i) => RUN[i]?.push);
    await demoSink.waitFor((r) => ids.every((id) => r.some((x) => x.headers['webhook-id'] === id)), 45_000);
    await sink.waitFor((r) => r.some((x) => x.headers['webhook-id'] === want[want.length - 1]), 45_000);
    // FIFO on one key: when the last match arrived, every earlier record was decided.
    expect(idsAt(sink)).toEqual(want);
    expect(sink.received.every((r) => r.verified)).toBe(true);
    await committedToEnd(pushSub);
    await filteredReaches(pushSub, 'push', RUN.length - want.length);
    expect(idsAt(sink)).toEqual(want);
  }, 120_000);

  it('pull: only the matches are enqueued; the rest are skipped, counted and committed past', async () => {
    const want = ids.filter((_, i) => RUN[i]?.pull);
    const got: { id: string; receipt: string }[] = [];
    for (const deadline = Date.now() + 30_000; !want.every((id) => got.some((g) => g.id === id)) && Date.now() < deadline; ) {
      const r = await asPuller('POST', `${PULL}/lease`, { max: 100, waitSeconds: 2 });
      expect(r.status).toBe(200);
      got.push(...(r.body.items as { id: string; receipt: string }[]));
    }
    expect(got.map((g) => g.id).sort()).toEqual([...want].sort());
    expect((await asPuller('POST', `${PULL}/ack`, { receipts: got.map((g) => g.receipt) })).body).toMatchObject({ acked: want.length, failed: [] });
    await filteredReaches(pullSub, 'pull', RUN.length - want.length);
    const more = await asPuller('POST', `${PULL}/lease`, { max: 100, waitSeconds: 1 });
    expect(more.body.items).toEqual([]);
    await committedToEnd(pullSub);
  }, 90_000);

  it('stream: the live stream of the filtered subscription carries only its matches', async () => {
    const want = ids.filter((_, i) => RUN[i]?.pull);
    await stream.waitFor(() => (stream.events().some((e) => e.data.id === want[want.length - 1]) ? true : undefined), 'the last match on the stream', 30_000);
    await filteredReaches(pullSub, 'stream', RUN.length - want.length);
    expect(stream.events().map((e) => e.data.id)).toEqual(want);
    stream.close();
  }, 60_000);
});

describe('changing the filter', () => {
  it('applies from the next routing generation, to pushes and to a stream already open; null removes it', async () => {
    const live = await openSse(t.platform.url, `${DEMO.roomPath}/stream/v1/${DEMO.eventType}`, { key: pusherKey, client: PUSHER });
    await live.waitFor(() => live.lastEventId, 'the start cursor');
    const bad = await asPusher('PATCH', `${SUBS}/${DEMO.eventType}`, { options: { filter: { eq: { 'data.gender': ['M'] } } } });
    expect([bad.status, pointers(bad)]).toEqual([400, ['/options/filter/eq/data.gender']]);
    expect(((await asPusher('GET', `${SUBS}/${DEMO.eventType}`)).body.options as Record<string, unknown>).filter).toEqual(PUSH_FILTER);

    const males = { eq: { 'data.gender': 'M' } };
    const changed = await asPusher('PATCH', `${SUBS}/${DEMO.eventType}`, { options: { filter: males } });
    expect([changed.status, (changed.body.options as Record<string, unknown>).filter]).toEqual([201, males]);
    await newest();
    const before = sink.received.length;
    const run = [
      await birth({ gender: 'F', place: 'North Clinic', weight: 3000 }),
      await birth({ gender: 'M', place: 'City Hospital', weight: 3000 }),
      await birth({ gender: 'M', place: 'North Clinic', weight: 3000 }),
    ];
    await sink.waitFor((r) => r.some((x) => x.headers['webhook-id'] === run[2]), 45_000);
    expect(idsAt(sink).slice(before)).toEqual([run[1], run[2]]);
    await live.waitFor(() => (live.events().some((e) => e.data.id === run[2]) ? true : undefined), 'the last male birth on the stream', 30_000);
    expect(live.events().map((e) => e.data.id)).toEqual([run[1], run[2]]);

    const cleared = await asPusher('PATCH', `${SUBS}/${DEMO.eventType}`, { options: { filter: null } });
    expect(cleared.status).toBe(201);
    expect(cleared.body.options).not.toHaveProperty('filter');
    await newest();
    const all = [await birth({ gender: 'F', place: 'City Hospital', weight: 3000 }), await birth({ gender: 'X', place: 'City Hospital', weight: 3000 })];
    await sink.waitFor((r) => r.some((x) => x.headers['webhook-id'] === all[1]), 45_000);
    expect(idsAt(sink).slice(before + 2)).toEqual(all);
    await live.waitFor(() => (live.events().some((e) => e.data.id === all[1]) ? true : undefined), 'the unfiltered births on the stream', 30_000);
    expect(live.events().map((e) => e.data.id)).toEqual([run[1], run[2], ...all]);
    live.close();
  }, 120_000);
});

describe('classified payloads', () => {
  it('filters on fields of an encrypted (PHI) payload, decrypted in memory only', async () => {
    const schema = { type: 'object', required: ['patientId', 'status'], properties: { patientId: { type: 'string' }, status: { type: 'string' } } };
    const type = await call('POST', `${DEMO.roomPath}/api/v1/eventType`, { key: t.adminKey, client: DEMO.publisherClient, body: { eventType: 'labResult', schema, classification: 'PHI', keyAttribute: '/patientId' } });
    expect(type.status).toBe(200);
    expect((await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/publishers`, { key: t.adminKey, body: { clientId: DEMO.publisherClient, eventTypes: ['labResult'] } })).status).toBe(200);
    const created = await asPusher('POST', `${SUBS}/labResult`, { eventType: 'labResult', options: { pushUrl: labSink.url, FIFO: true, filter: { eq: { 'data.status': 'final' } } } });
    expect(created.status).toBe(200);
    labSink.setSecret(String(created.body.signingSecret));
    expect((await call('POST', `/api/admin/v1/subscriptions/${String(created.body.id)}/approve`, { key: t.adminKey })).status).toBe(200);
    await newest();
    const ids: string[] = [];
    for (const status of ['draft', 'final', 'amended', 'final', 'draft']) {
      const res = await publish(t.platform.url, seeded.publisherKey, { patientId: 'p-1', status }, { eventType: 'labResult' });
      expect(res.status).toBe(201);
      ids.push(String(res.body.id));
    }
    await labSink.waitFor((r) => r.some((x) => x.headers['webhook-id'] === ids[3]), 45_000);
    expect(idsAt(labSink)).toEqual([ids[1], ids[3]]);
    expect(labSink.received.map((r) => (r.json.event as { status: string }).status)).toEqual(['final', 'final']);
    await filteredReaches(String(created.body.id), 'push', 3);
  }, 90_000);
});
