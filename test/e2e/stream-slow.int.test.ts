/**
 * Back-pressure of live streams against real Kafka: a client that stops reading makes its
 * stream stop reading Kafka (the server's buffer stays within its bound, watched through
 * /metrics while ~18 MB of events pass), is disconnected as `slow_reader` once its buffer stayed
 * full for ROOMCAST_STREAM_SLOW_READER_SECONDS, and loses nothing: reconnecting with the last
 * id it received delivers exactly the rest. Same for the WebSocket variant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { request } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { openSse, openWs } from '../support/stream-client.ts';

let t: TestPlatform;
let seeded: SeededDemo;
const TYPE = 'bulkReport';
const PATH = `${DEMO.roomPath}/stream/v1/${TYPE}`;
const BUFFER_BYTES = 64 * 1024;
const FETCH_BYTES = 1024 * 1024;
const EVENT_CHARS = 60_000;
const TOTAL = 300;

const sub = () => ({ key: seeded.subscriberKey, client: DEMO.subscriberClient });

beforeAll(async () => {
  t = await startTestPlatform('streamslow', {
    ROOMCAST_STREAM_BUFFER_EVENTS: '20',
    ROOMCAST_STREAM_BUFFER_BYTES: String(BUFFER_BYTES),
    ROOMCAST_STREAM_SLOW_READER_SECONDS: '2',
    // ~18 MB published in a few seconds by one publisher, beyond the default byte budget.
    ROOMCAST_PUBLISH_BYTES_PER_SEC: '0',
  });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  const call = (method: string, path: string, key: string, body?: unknown, client?: string) => request(t.platform.url, method, path, { key, body, ...(client ? { client } : {}) });
  const schema = { type: 'object', additionalProperties: false, required: ['n', 'text'], properties: { n: { type: 'integer' }, text: { type: 'string' } } };
  expect((await call('POST', `${DEMO.roomPath}/api/v1/eventType`, t.adminKey, { eventType: TYPE, schema }, DEMO.publisherClient)).status).toBe(200);
  expect((await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/publishers`, t.adminKey, { clientId: DEMO.publisherClient, eventTypes: [DEMO.eventType, TYPE] })).status).toBe(200);
  const created = await call('POST', `${DEMO.roomPath}/api/v1/subs/${TYPE}`, seeded.subscriberKey, { eventType: TYPE, delivery: 'PULL' }, DEMO.subscriberClient);
  expect(created.status).toBe(200);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${(created.body as { id: string }).id}/approve`, t.adminKey);
  await t.platform.routing.waitFor(Number((approved.body as { generation: number }).generation));
}, 90_000);

afterAll(async () => {
  await t?.cleanup();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${t.platform.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Samples the server's stream buffers until stopped; answers the highest value seen. */
function watchBuffers() {
  let peak = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      peak = Math.max(peak, await metric('roomcast_stream_buffered_bytes'));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    running = false;
    await done;
    return peak;
  };
}

async function publishBulk(): Promise<string[]> {
  const ids: string[] = [];
  for (let batch = 0; batch < TOTAL / 100; batch++) {
    const events = Array.from({ length: 100 }, (_, i) => ({ eventType: TYPE, event: { n: batch * 100 + i, text: 'x'.repeat(EVENT_CHARS) }, key: `k${i % 4}` }));
    const res = await request(t.platform.url, 'POST', `${DEMO.roomPath}/pub/v1/${TYPE}/batch`, { key: seeded.publisherKey, client: DEMO.publisherClient, body: { events } });
    expect(res.status).toBe(200);
    for (const r of (res.body as { results: { status: number; id?: string }[] }).results) {
      expect(r.status).toBe(201);
      ids.push(String(r.id));
    }
  }
  return ids;
}

const slowDisconnects = (transport: string) => metric(`roomcast_stream_disconnects_total{reason="slow_reader",transport="${transport}"}`);

describe('a client that stops reading', () => {
  it('is disconnected as slow_reader with the buffer bounded, and resumes without loss', async () => {
    const s = await openSse(t.platform.url, PATH, sub());
    await s.waitFor(() => s.lastEventId, 'the start cursor');
    s.pause();
    const stop = watchBuffers();
    const ids = await publishBulk();
    const deadline = Date.now() + 30_000;
    while ((await slowDisconnects('sse')) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const peak = await stop();
    expect(await slowDisconnects('sse')).toBe(1);
    // The buffer never held more than its bound plus one fetch (and one record past it).
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(BUFFER_BYTES + FETCH_BYTES + EVENT_CHARS + 1024);

    // The client drains what reached its socket, then resumes after the last event it got.
    s.resume();
    await s.ended;
    const got = s.events();
    expect(got.length).toBeLessThan(TOTAL);
    if (process.env.ROOMCAST_TEST_FIGURES) console.log(`slow SSE reader: peak server buffer ${peak} B, ${got.length}/${TOTAL} events reached the client before the cut`);
    const again = await openSse(t.platform.url, PATH, { ...sub(), lastEventId: s.lastEventId ?? '' });
    const rest = await again.waitForEvents(TOTAL - got.length, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const all = [...got, ...again.events()].map((e) => e.data.id);
    expect(all.length).toBe(TOTAL);
    expect(new Set(all)).toEqual(new Set(ids));
    expect(rest.length).toBe(TOTAL - got.length);
    again.close();
  }, 90_000);

  it('is disconnected the same way on a WebSocket (close code 4001 when it reads again)', async () => {
    const ws = await openWs(t.platform.url, `${PATH}?from=earliest`, sub());
    (ws.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const deadline = Date.now() + 30_000;
    while ((await slowDisconnects('websocket')) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await slowDisconnects('websocket')).toBe(1);
    expect(await metric('roomcast_stream_buffered_bytes')).toBe(0);
    (ws.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await ws.closed;
    expect(ws.events().length).toBeLessThan(TOTAL);
    // The close frame may not get through a socket that was cut off: 4001, or 1006 (abnormal).
    expect([4001, 1006]).toContain(closed.code);
  }, 60_000);
});
