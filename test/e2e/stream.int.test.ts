/**
 * Live streams against real Kafka: events published after the stream opened arrive live and in
 * order per key; a reconnect with Last-Event-ID misses nothing and repeats nothing; heartbeats
 * come when idle; the WebSocket variant carries the same events and cursors; and only the
 * subscribing application may open its stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { request } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { openSse, openWs, type SseClient, type WsClient } from '../support/stream-client.ts';

let t: TestPlatform;
let seeded: SeededDemo;
const PATH = `${DEMO.roomPath}/stream/v1/${DEMO.eventType}`;
const sub = () => ({ key: seeded.subscriberKey, client: DEMO.subscriberClient });

beforeAll(async () => {
  t = await startTestPlatform('stream', { ROOMCAST_STREAM_HEARTBEAT_SECONDS: '1', ROOMCAST_STREAM_MAX_PER_SUBSCRIPTION: '3' });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
}, 90_000);

// Streams left open by the last test: stopping the process must end them, not wait for them.
let lingering: { sse: SseClient; ws: WsClient } | undefined;

afterAll(async () => {
  await t?.cleanup();
  if (!lingering) return;
  await lingering.sse.ended;
  expect(JSON.parse(lingering.sse.messages.find((m) => m.event === 'end')?.data ?? '{}')).toEqual({ reason: 'server_stopping' });
  expect((await lingering.ws.closed).code).toBe(1001);
});

/** The first delivery row of an event in the message log (as its subscriber sees it) that matches. */
async function logged(id: string, match: (d: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const h = await request(t.platform.url, 'GET', `/api/v1/log/events/${id}`, sub());
    const found = h.status === 200 ? (h.body as { deliveries: Record<string, unknown>[] }).deliveries.find(match) : undefined;
    if (found) return found;
  }
  throw new Error(`no matching delivery of ${id} in the message log`);
}

let serial = 0;
async function publishMany(n: number, keys: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: keys[i % keys.length], weight: 1000 + serial++ });
    expect(res.status).toBe(201);
    ids.push(String(res.body.id));
  }
  return ids;
}

const weights = (events: { data: Record<string, unknown> }[], key: string) =>
  events.filter((e) => e.data.key === key).map((e) => (e.data.event as { weight: number }).weight);
const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as number) < x);

describe('live stream (SSE)', () => {
  it('delivers events published after it opened, live, in order per key, with the start cursor first', async () => {
    const opening = performance.now();
    const s = await openSse(t.platform.url, PATH, sub());
    expect(s.status).toBe(200);
    expect(s.contentType).toMatch(/^text\/event-stream/);
    await s.waitFor(() => s.lastEventId, 'the start cursor');
    // Groupless: no consumer-group join (seconds) before the stream is live.
    const openMs = performance.now() - opening;
    if (process.env.ROOMCAST_TEST_FIGURES) console.log(`stream open → start cursor: ${openMs.toFixed(0)} ms`);
    expect(openMs).toBeLessThan(1500);
    expect(s.messages[0]?.data).toBeUndefined(); // id-only: a reconnect from here misses nothing
    const ids = await publishMany(12, ['k-a', 'k-b', 'k-c']);
    const events = await s.waitForEvents(12);
    expect(events.map((e) => e.data.id).sort()).toEqual([...ids].sort());
    for (const k of ['k-a', 'k-b', 'k-c']) expect(ascending(weights(events, k))).toBe(true);
    expect(events[0]?.data).toMatchObject({ eventType: DEMO.eventType, lane: 'normal', publisherId: { memberCode: 'MOH', applicationCode: 'clinic-a' } });
    expect(events[0]?.id).toMatch(/^1_/);
    s.close();
    // Every event written to the stream is in the message log, visible to the subscriber.
    for (const id of ids) {
      const streamed = await logged(id, (d) => d.mode === 'stream');
      expect(streamed).toMatchObject({ subscriber: DEMO.subscriberClient, outcome: 'streamed', state: 'SENT', attempt: 1, httpStatus: null });
      expect(Date.parse(String(streamed.time))).toBeGreaterThanOrEqual(Date.parse(String(streamed.publishedAt)));
    }
  });

  it('resumes after Last-Event-ID with no gap and no repeat, across partitions', async () => {
    const first = await openSse(t.platform.url, PATH, sub());
    await first.waitFor(() => first.lastEventId, 'the start cursor');
    const before = await publishMany(6, ['r-a', 'r-b']);
    const seen = await first.waitForEvents(6);
    first.close();
    await first.ended;
    // Resume after the third event: the rest, then what was published while disconnected.
    const third = seen[2];
    const during = await publishMany(4, ['r-a', 'r-b']);
    const again = await openSse(t.platform.url, PATH, { ...sub(), lastEventId: third?.id ?? '' });
    expect(again.status).toBe(200);
    const seenBefore = new Set(seen.slice(0, 3).map((e) => e.data.id));
    const want = [...before, ...during].filter((id) => !seenBefore.has(id));
    const events = await again.waitForEvents(want.length);
    await new Promise((r) => setTimeout(r, 500)); // nothing beyond
    expect(again.events().map((e) => e.data.id).sort()).toEqual([...want].sort());
    for (const k of ['r-a', 'r-b']) expect(ascending(weights(events, k))).toBe(true);
    again.close();
  });

  it('resumes from the start cursor of a stream that saw no event (no gap before the first event)', async () => {
    const s = await openSse(t.platform.url, PATH, sub());
    const start = await s.waitFor(() => s.lastEventId, 'the start cursor');
    s.close();
    const ids = await publishMany(2, ['z']);
    const again = await openSse(t.platform.url, `${PATH}?cursor=${encodeURIComponent(start)}`, sub());
    expect((await again.waitForEvents(2)).map((e) => e.data.id)).toEqual(ids);
    again.close();
  });

  it('passes over an event its publisher cancelled before the stream read it', async () => {
    const s = await openSse(t.platform.url, PATH, sub());
    const start = await s.waitFor(() => s.lastEventId, 'the start cursor');
    s.close();
    const [cancelled, kept] = await publishMany(2, ['c']);
    const del = await request(t.platform.url, 'DELETE', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/${cancelled}`, { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect(del.status).toBe(204);
    const again = await openSse(t.platform.url, PATH, { ...sub(), lastEventId: start });
    expect((await again.waitForEvents(1)).map((e) => e.data.id)).toEqual([kept]);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.events()).toHaveLength(1);
    again.close();
  });

  it('sends heartbeat comments when idle, and ends with event: end after maxSeconds', async () => {
    const s = await openSse(t.platform.url, `${PATH}?maxSeconds=3`, sub());
    await s.ended;
    expect(s.comments.filter((c) => c.startsWith('heartbeat')).length).toBeGreaterThanOrEqual(2);
    const end = s.messages.find((m) => m.event === 'end');
    expect(JSON.parse(end?.data ?? '{}')).toEqual({ reason: 'max_duration' });
  });

  it('starts from the earliest retained record with from=earliest', async () => {
    const s = await openSse(t.platform.url, `${PATH}?from=earliest&maxSeconds=2`, sub());
    await s.ended;
    expect(s.events().length).toBeGreaterThanOrEqual(24);
  });
});

describe('classified payloads', () => {
  it('streams a PHI event decrypted (it is sealed in Kafka)', async () => {
    const call = (method: string, path: string, key: string, body?: unknown, client?: string) => request(t.platform.url, method, path, { key, body, ...(client ? { client } : {}) });
    const schema = { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', maxLength: 40 } } };
    expect((await call('POST', `${DEMO.roomPath}/api/v1/eventType`, t.adminKey, { eventType: 'diagnosis', schema, classification: 'PHI' }, DEMO.publisherClient)).status).toBe(200);
    expect((await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/publishers`, t.adminKey, { clientId: DEMO.publisherClient, eventTypes: [DEMO.eventType, 'diagnosis'] })).status).toBe(200);
    const created = await call('POST', `${DEMO.roomPath}/api/v1/subs/diagnosis`, seeded.subscriberKey, { eventType: 'diagnosis', delivery: 'PULL' }, DEMO.subscriberClient);
    const approved = await call('POST', `/api/admin/v1/subscriptions/${(created.body as { id: string }).id}/approve`, t.adminKey);
    await t.platform.routing.waitFor(Number((approved.body as { generation: number }).generation));
    const s = await openSse(t.platform.url, `${DEMO.roomPath}/stream/v1/diagnosis`, sub());
    await s.waitFor(() => s.lastEventId, 'the start cursor');
    const res = await publish(t.platform.url, seeded.publisherKey, { code: 'Canary-4471' }, { eventType: 'diagnosis' });
    expect(res.status).toBe(201);
    const [event] = await s.waitForEvents(1);
    expect(event?.data).toMatchObject({ id: res.body.id, eventType: 'diagnosis', event: { code: 'Canary-4471' } });
    s.close();
  });
});

describe('live stream (WebSocket)', () => {
  it('carries the same events and cursors, and resumes from a cursor', async () => {
    const ws = await openWs(t.platform.url, PATH, sub());
    await ws.waitFor(() => ws.messages.find((m) => m.type === 'open'), 'the open message');
    const ids = await publishMany(5, ['w-a', 'w-b']);
    const events = await ws.waitForEvents(5);
    expect(events.map((e) => e.data.id).sort()).toEqual([...ids].sort());
    for (const k of ['w-a', 'w-b']) expect(ascending(weights(events, k))).toBe(true);
    ws.ws.close();
    await ws.closed;
    // An SSE reconnect with a WebSocket cursor: the same positions, nothing repeated.
    const more = await publishMany(3, ['w-a']);
    const s = await openSse(t.platform.url, PATH, { ...sub(), lastEventId: events[4]?.id ?? '' });
    expect((await s.waitForEvents(3)).map((e) => e.data.id)).toEqual(more);
    s.close();
    // And a WebSocket resume with Last-Event-ID.
    const again = await openWs(t.platform.url, PATH, { ...sub(), lastEventId: events[4]?.id ?? '' });
    expect((await again.waitForEvents(3)).map((e) => e.data.id)).toEqual(more);
    await again.waitFor(() => again.messages.find((m) => m.type === 'heartbeat'), 'a heartbeat', 5000);
    again.ws.close();
  });

  it('refuses an upgrade with the same status as the SSE route', async () => {
    const refused = await openWs(t.platform.url, PATH, { key: seeded.publisherKey, client: DEMO.publisherClient }).catch((err: { status?: number }) => err.status);
    expect(refused).toBe(404);
    const anonymous = await openWs(t.platform.url, PATH, {}).catch((err: { status?: number }) => err.status);
    expect(anonymous).toBe(401);
  });
});

describe('who may stream', () => {
  it('answers only the subscribing application; others get the API-wide refusals', async () => {
    const status = async (h: { key?: string; client?: string; lastEventId?: string }, path = PATH) => {
      const s = await openSse(t.platform.url, path, h);
      s.close();
      return { status: s.status, code: s.problem?.code };
    };
    expect(await status({})).toEqual({ status: 401, code: 'auth.missing_credentials' });
    // The publisher has no subscription: the same 404 as for an unknown room or event type.
    expect(await status({ key: seeded.publisherKey, client: DEMO.publisherClient })).toEqual({ status: 404, code: 'subscription.not_found' });
    expect(await status(sub(), `/r1/DEV/GOV/MOH/nope/stream/v1/${DEMO.eventType}`)).toEqual({ status: 404, code: 'subscription.not_found' });
    expect(await status(sub(), `${DEMO.roomPath}/stream/v1/other`)).toEqual({ status: 404, code: 'subscription.not_found' });
    // Naming someone else's client, or an admin acting for the subscriber.
    expect(await status({ key: seeded.subscriberKey, client: DEMO.publisherClient })).toEqual({ status: 403, code: 'auth.client_mismatch' });
    expect(await status({ key: t.adminKey, client: DEMO.subscriberClient })).toEqual({ status: 403, code: 'auth.forbidden' });
    // Bad input names the field.
    expect(await status({ ...sub(), lastEventId: 'garbage' })).toEqual({ status: 400, code: 'request.validation_failed' });
    expect(await status(sub(), `${PATH}?from=yesterday`)).toEqual({ status: 400, code: 'request.validation_failed' });
    expect(await status(sub(), `${PATH}?maxSeconds=0`)).toEqual({ status: 400, code: 'request.validation_failed' });
  });

  it('limits concurrent streams per subscription, and frees the slot when one closes', async () => {
    const open = await Promise.all([1, 2, 3].map(() => openSse(t.platform.url, PATH, sub())));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await openSse(t.platform.url, PATH, sub());
    expect([fourth.status, fourth.problem?.code]).toEqual([429, 'stream.limit_reached']);
    open[0]?.close();
    await open[0]?.ended;
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      const s = await openSse(t.platform.url, PATH, sub());
      status = s.status;
      if (status === 200) open[0] = s;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    for (const s of open) s?.close();
  });

  it('ends the streams of a subscription that is paused, and refuses new ones with 409', async () => {
    const s = await openSse(t.platform.url, PATH, sub());
    await s.waitFor(() => s.lastEventId, 'the start cursor');
    const paused = await request(t.platform.url, 'POST', `/api/admin/v1/subscriptions/${seeded.subscriptionId}/pause`, { key: t.adminKey, body: {} });
    expect(paused.status).toBe(200);
    await s.ended;
    expect(JSON.parse(s.messages.find((m) => m.event === 'end')?.data ?? '{}')).toEqual({ reason: 'subscription_gone' });
    const refused = await openSse(t.platform.url, PATH, sub());
    expect([refused.status, refused.problem?.code]).toEqual([409, 'subscription.invalid_state']);
    const resumed = await request(t.platform.url, 'POST', `/api/admin/v1/subscriptions/${seeded.subscriptionId}/resume`, { key: t.adminKey });
    expect(resumed.status).toBe(200);
  });

  it('counts open streams, events streamed and disconnects by reason in /metrics', async () => {
    const text = await (await fetch(`${t.platform.url}/metrics`)).text();
    expect(text).toMatch(/roomcast_stream_events_total\{subscription="[^"]+",transport="sse"\} \d+/);
    expect(text).toMatch(/roomcast_stream_events_total\{subscription="[^"]+",transport="websocket"\} \d+/);
    expect(text).toMatch(/roomcast_stream_disconnects_total\{reason="max_duration",transport="sse"\} [1-9]/);
    expect(text).toMatch(/roomcast_stream_disconnects_total\{reason="subscription_gone",transport="sse"\} 1/);
    expect(text).toMatch(/roomcast_stream_refused_total\{reason="limit_subscription"\} [1-9]/);
    expect(text).toContain('roomcast_stream_open');
  });

  it('leaves two streams open for the shutdown check (afterAll)', async () => {
    const sse = await openSse(t.platform.url, PATH, sub());
    const ws = await openWs(t.platform.url, PATH, sub());
    expect([sse.status, ws.ws.readyState]).toEqual([200, ws.ws.OPEN]);
    lingering = { sse, ws };
  });
});
