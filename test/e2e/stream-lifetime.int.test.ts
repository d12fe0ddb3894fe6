/**
 * How long a live stream may live: it ends within seconds when the API key that opened it is
 * revoked (SSE and WebSocket), when the subscription's grant is withdrawn (back to PENDING) or the subscription is deleted — and in any case after the
 * process's maximum duration, which a client's maxSeconds may shorten but never lengthen.
 *
 * The maximum here is 12 s: a stream that ends with any reason but max_duration ended because
 * of the change the test made, well before the cap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { request } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { openSse, openWs, type SseClient } from '../support/stream-client.ts';

const MAX_SECONDS = 12;
let t: TestPlatform;
let seeded: SeededDemo;
let applicationId: string;
const PATH = `${DEMO.roomPath}/stream/v1/${DEMO.eventType}`;
const A = '/api/admin/v1';
const admin = (method: string, path: string, body?: unknown) => request(t.platform.url, method, path, { key: t.adminKey, ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  t = await startTestPlatform('streamlife', { ROOMCAST_STREAM_MAX_SECONDS: String(MAX_SECONDS), ROOMCAST_STREAM_MAX_PER_SUBSCRIPTION: '10' });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
  const apps = (await admin('GET', `${A}/applications`)).body as { applications: { id: string; clientId: string }[] };
  applicationId = apps.applications.find((a) => a.clientId === DEMO.subscriberClient)?.id ?? '';
}, 90_000);

afterAll(async () => {
  await t?.cleanup();
});

/** A second key of the subscribing application, usable once the data plane's contract has it. */
async function issueKey(label: string): Promise<{ id: string; key: string }> {
  const issued = await admin('POST', `${A}/applications/${applicationId}/keys`, { label });
  expect(issued.status).toBe(201);
  const body = issued.body as { id: string; apiKey: string };
  await expect.poll(() => t.platform.routing.current().contract.principals.some((p) => p.keyId === body.id), { timeout: 10_000 }).toBe(true);
  return { id: body.id, key: body.apiKey };
}

async function opened(key: string): Promise<SseClient> {
  const s = await openSse(t.platform.url, PATH, { key, client: DEMO.subscriberClient });
  expect(s.status).toBe(200);
  await s.waitFor(() => s.lastEventId, 'the start cursor');
  return s;
}

const endReason = (s: SseClient) => JSON.parse(s.messages.find((m) => m.event === 'end')?.data ?? '{}').reason as string | undefined;

/** Waits for the stream to end and answers its reason and how long after `since` it ended. */
async function endOf(s: SseClient, since: number): Promise<{ reason: string | undefined; afterMs: number }> {
  await s.ended;
  return { reason: endReason(s), afterMs: Date.now() - since };
}

describe('stream lifetime', () => {
  it('ends the SSE and WebSocket streams of a revoked key, and only those', async () => {
    const doomed = await issueKey('to revoke');
    const sse = await opened(doomed.key);
    const ws = await openWs(t.platform.url, PATH, { key: doomed.key, client: DEMO.subscriberClient });
    await ws.waitFor(() => ws.messages.find((m) => m.type === 'open'), 'the open message');
    const bystander = await opened(seeded.subscriberKey);

    const at = Date.now();
    expect((await admin('POST', `${A}/keys/${doomed.id}/revoke`)).status).toBe(200);
    const ended = await endOf(sse, at);
    const closed = await ws.closed;
    console.info(`stream ended ${ended.afterMs} ms after its key was revoked`);
    expect(ended.reason).toBe('credential_revoked');
    expect(closed.code).toBe(4004);
    // A stream opened with another key of the same application goes on.
    expect(endReason(bystander)).toBeUndefined();
    const refused = await openSse(t.platform.url, PATH, { key: doomed.key, client: DEMO.subscriberClient });
    expect([refused.status, refused.problem?.code]).toEqual([401, 'auth.invalid_credentials']);
    bystander.close();
  });
});

describe('stream lifetime, subscription side', () => {
  const key = () => seeded.subscriberKey;

  const right = { memberClass: 'GOV', memberCode: 'MOH', applicationId: DEMO.room, serviceId: `sub:${DEMO.eventType}`, rights: [{ memberClass: 'GOV', memberCode: 'REG', applicationId: DEMO.subscriberApp }] };

  it('ends streams when the subscriber grant is withdrawn (the subscription goes back to PENDING)', async () => {
    // Rights are part of the GovStack configuration, which has to exist first.
    const configured = await admin('POST', '/api/v1/config', { domain: 'dev.roomcast.example', instance: 'DEV' });
    expect(configured.status).toBe(201);
    const allow = await admin('PATCH', '/api/v1/rights/allow', [right]);
    expect(allow.status).toBe(200);
    const s = await opened(key());
    const at = Date.now();
    const deny = await admin('PATCH', '/api/v1/rights/deny', [right]);
    expect(deny.status).toBe(200);
    expect(await endOf(s, at)).toMatchObject({ reason: 'subscription_gone' });
    const refused = await openSse(t.platform.url, PATH, { key: key(), client: DEMO.subscriberClient });
    expect([refused.status, refused.problem?.code]).toEqual([404, 'subscription.not_found']);
    // Approving it again waits until its push consumers have stopped (409 until then).
    await expect.poll(async () => (await admin('POST', `${A}/subscriptions/${seeded.subscriptionId}/approve`)).status, { timeout: 30_000, interval: 500 }).toBe(200);
  });

  it('ends every stream after the process maximum, however long the client asked for', async () => {
    // The re-approval above reaches the data plane's contract first.
    const status = async () => {
      const probe = await openSse(t.platform.url, PATH, { key: key(), client: DEMO.subscriberClient });
      probe.close();
      return probe.status;
    };
    await expect.poll(status, { timeout: 10_000 }).toBe(200);
    const at = Date.now();
    const plain = await opened(key());
    const long = await openSse(t.platform.url, `${PATH}?maxSeconds=3600`, { key: key(), client: DEMO.subscriberClient });
    expect(long.status).toBe(200);
    const [a, b] = await Promise.all([endOf(plain, at), endOf(long, at)]);
    console.info(`streams ended after ${a.afterMs} and ${b.afterMs} ms (maximum ${MAX_SECONDS} s)`);
    expect([a.reason, b.reason]).toEqual(['max_duration', 'max_duration']);
    expect(Math.min(a.afterMs, b.afterMs)).toBeGreaterThanOrEqual(MAX_SECONDS * 1000 - 500);
  }, 40_000);

  it('ends streams when the subscription is deleted', async () => {
    const s = await opened(key());
    const at = Date.now();
    const deleted = await request(t.platform.url, 'DELETE', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { key: key(), client: DEMO.subscriberClient });
    expect(deleted.status).toBe(204);
    expect(await endOf(s, at)).toMatchObject({ reason: 'subscription_gone' });
  });
});
