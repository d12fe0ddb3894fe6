/**
 * Dead letters per subscription against the real platform (decision 0026): 100 deliveries that
 * an endpoint rejects are dead-lettered and listed with their failure metadata; after the sink
 * is fixed, a dry run counts them and changes nothing, and two redrives sent at once deliver each
 * event exactly once in total — to that subscription only; bad input is 400 with pointers, and
 * a subscription that is not the caller's is 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type Received, startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let memberId: string;
let demoSink: Subscriber;
const sinks: Subscriber[] = [];

beforeAll(async () => {
  t = await startTestPlatform('dlq', { ROOMCAST_REDRIVE_MAX_RATE_PER_SEC: '500' });
  call = caller(t.platform.url);
  demoSink = await startSubscriber();
  sinks.push(demoSink);
  seeded = await seedDemo(t.platform.url, t.adminKey, demoSink.url);
  const m = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'DLQT', name: 'Dead-letter tests' } });
  expect(m.status).toBe(201);
  memberId = String(m.body.id);
});

afterAll(async () => {
  for (const s of sinks) await s.close();
  await t?.cleanup();
});

/** A new application of member DLQT with an approved PUSH subscription to the demo type, and its key. */
async function subscribe(code: string, options: Record<string, unknown> = {}) {
  const sink = await startSubscriber(`/${code}`);
  sinks.push(sink);
  const app = await call('POST', `/api/admin/v1/members/${memberId}/applications`, { key: t.adminKey, body: { code } });
  expect(app.status).toBe(201);
  const client = `DEV/GOV/DLQT/${code}`;
  const sub = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, {
    key: String(app.body.apiKey),
    client,
    body: { eventType: DEMO.eventType, delivery: 'PUSH', options: { pushUrl: sink.url, ...options } },
  });
  expect(sub.status).toBe(200);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${String(sub.body.id)}/approve`, { key: t.adminKey });
  expect(approved.status).toBe(200);
  await t.platform.routing.waitFor(Number(approved.body.generation));
  sink.setSecret(String(sub.body.signingSecret));
  return { id: String(sub.body.id), sink, key: String(app.body.apiKey), client };
}

async function births(n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `${tag}-${i}` });
    expect(res.status).toBe(201);
    ids.push(String(res.body.id));
  }
  return ids;
}

async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

const idOf = (r: Pick<Received, 'headers'>) => String(r.headers['webhook-id']);
const ok = (r: Received) => r.status >= 200 && r.status < 300;
const base = (subId: string) => `/api/v1/subscriptions/${subId}`;

/** Every dead letter of the subscription in a state, through the keyset pages. */
async function allDeadLetters(subId: string, key: string, state = 'dead'): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const q = `state=${state}&limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call('GET', `${base(subId)}/dead-letters?${q}`, { key });
    expect(res.status).toBe(200);
    out.push(...(res.body.items as Record<string, unknown>[]));
    cursor = res.body.next as string | null;
  } while (cursor);
  return out;
}

describe('dead letters', () => {
  it('100 rejected deliveries are dead-lettered, listed, and redriven exactly once after the sink is fixed — to that subscription only', async () => {
    const failing = await subscribe('failing');
    failing.sink.respondWith(400);
    const ids = await births(100, 'dlq');

    const listed = await eventually(async () => {
      const items = await allDeadLetters(failing.id, failing.key);
      // Attempt times join in once the sink has the delivery-log rows too (another topic).
      return items.length >= 100 && items.every((d) => d.firstAttemptAt && d.lastAttemptAt) ? items : undefined;
    });
    expect(listed).toHaveLength(100);
    expect(new Set(listed.map((d) => d.eventId))).toEqual(new Set(ids));
    for (const d of listed) {
      expect(d).toMatchObject({ state: 'dead', eventType: DEMO.eventType, reason: 'rejected', errorClass: 'HTTP 400', httpStatus: 400, attempts: 1, mode: 'push' });
      expect(typeof d.firstAttemptAt).toBe('string');
      expect(typeof d.lastAttemptAt).toBe('string');
      expect(Date.parse(String(d.deadLetteredAt))).toBeGreaterThanOrEqual(Date.parse(String(d.lastAttemptAt)));
    }
    // Keyset pages are newest first and never repeat an item.
    const times = listed.map((d) => Date.parse(String(d.deadLetteredAt)));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // Filters: the status and error class match all, another status none.
    const by = async (q: string) => (await call('GET', `${base(failing.id)}/dead-letters?limit=500&${q}`, { key: failing.key })).body.items as unknown[];
    expect(await by('httpStatus=400')).toHaveLength(100);
    expect(await by(`errorClass=${encodeURIComponent('HTTP 400')}`)).toHaveLength(100);
    expect(await by('httpStatus=503')).toHaveLength(0);
    expect(await by(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toHaveLength(0);

    // The subscriber sees the payload, decrypted.
    const one = await call('GET', `${base(failing.id)}/dead-letters/${String(listed[0]?.id)}`, { key: failing.key });
    expect(one.status).toBe(200);
    expect(one.body.event).toMatchObject({ ...DEMO.sampleEvent, motherId: expect.stringMatching(/^dlq-/) });
    // The central admin sees the metadata, not the payload.
    const asAdmin = await call('GET', `${base(failing.id)}/dead-letters/${String(listed[0]?.id)}`, { key: t.adminKey });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.event).toBeUndefined();

    const dry = await call('POST', `${base(failing.id)}/dead-letters/redrive`, { key: failing.key, body: { dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, matched: 100, total: 100 });
    expect(await allDeadLetters(failing.id, failing.key)).toHaveLength(100);

    failing.sink.respondWith(204);
    const fixedAt = failing.sink.received.length;
    const demoBefore = demoSink.received.length;
    // Two calls at once (a double click): together they take each dead letter once.
    const redriveAt = Date.now();
    const [a, b] = await Promise.all([
      call('POST', `${base(failing.id)}/dead-letters/redrive`, { key: failing.key, body: {} }),
      call('POST', `${base(failing.id)}/dead-letters/redrive`, { key: failing.key, body: {} }),
    ]);
    const answeredMs = Date.now() - redriveAt;
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(Number(a.body.queued) + Number(b.body.queued)).toBe(100);
    expect(Number(a.body.failed) + Number(b.body.failed)).toBe(0);

    const sinceFix = () => failing.sink.received.slice(fixedAt);
    await failing.sink.waitFor(() => ids.every((id) => sinceFix().some((r) => idOf(r) === id && ok(r))), 60_000);
    console.info(`dead-letter test: two concurrent redrives of 100 dead letters answered after ${answeredMs} ms; all 100 delivered ${Date.now() - redriveAt} ms after the calls`);
    // A moment more for any duplicate to show, then: each event exactly once, signed.
    await new Promise((r) => setTimeout(r, 1500));
    const counts = new Map<string, number>();
    for (const r of sinceFix()) counts.set(idOf(r), (counts.get(idOf(r)) ?? 0) + 1);
    expect(counts.size).toBe(100);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(sinceFix().every((r) => r.verified)).toBe(true);

    // Another redrive finds nothing left; the other subscription of the room got nothing from any of it.
    const again = await call('POST', `${base(failing.id)}/dead-letters/redrive`, { key: failing.key, body: {} });
    expect(again.status).toBe(202);
    expect(again.body.queued).toBe(0);
    expect(demoSink.received.slice(demoBefore).filter((r) => ids.includes(idOf(r)))).toHaveLength(0);
    const demoCounts = ids.map((id) => demoSink.received.filter((r) => idOf(r) === id && ok(r)).length);
    expect(demoCounts.every((n) => n === 1)).toBe(true);

    // The redrive's status reaches 100 delivered; the list moves them to `redriven`.
    const winner = Number(a.body.queued) === 100 ? a : b;
    const status = await eventually(async () => {
      const s = await call('GET', String(winner.body.status), { key: failing.key });
      return s.status === 200 && s.body.delivered === 100 ? s.body : undefined;
    });
    expect(status).toMatchObject({ action: 'redrive', queued: 100, delivered: 100, remaining: 0, failed: 0 });
    expect(String(status.actor)).toContain('DEV/GOV/DLQT/failing');
    expect(await allDeadLetters(failing.id, failing.key)).toHaveLength(0);
    expect(await allDeadLetters(failing.id, failing.key, 'redriven')).toHaveLength(100);

    // The audit trail: the three redrives, newest first, two per page; together they queued 100.
    const first = await call('GET', `${base(failing.id)}/redrives?limit=2`, { key: failing.key });
    expect(first.status).toBe(200);
    const second = await call('GET', `${base(failing.id)}/redrives?limit=2&cursor=${String(first.body.next)}`, { key: failing.key });
    const ops = [...(first.body.items as Record<string, unknown>[]), ...(second.body.items as Record<string, unknown>[])];
    expect(ops.map((o) => o.action)).toEqual(['redrive', 'redrive', 'redrive']);
    expect(ops.reduce((n, o) => n + Number(o.queued), 0)).toBe(100);
    expect(ops.map((o) => o.id)).toContain(winner.body.id);
    expect(second.body.next).toBeNull();
    expect(ops.every((o) => String(o.actor).includes('DEV/GOV/DLQT/failing') && typeof o.requestId === 'string')).toBe(true);
  });

  it('a redrive goes through retries, and what fails again is a new dead letter the status counts', async () => {
    const s = await subscribe('flaky', { retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 200, multiplier: 2 } });
    s.sink.respondWith(400);
    const ids = await births(4, 'flaky');
    await eventually(async () => ((await allDeadLetters(s.id, s.key)).length >= 4 ? true : undefined));
    // From now on: events of the first two answer 503 once, then 204; the last two keep failing.
    const tries = new Map<string, number>();
    const keepsFailing = new Set(['flaky-2', 'flaky-3']);
    s.sink.respondBy((r) => {
      const n = (tries.get(idOf(r)) ?? 0) + 1;
      tries.set(idOf(r), n);
      if (keepsFailing.has(String(r.json.key))) return { status: 400 };
      return { status: n === 1 ? 503 : 204 };
    });
    const redrive = await call('POST', `${base(s.id)}/dead-letters/redrive`, { key: s.key, body: { ratePerSec: 20 } });
    expect(redrive.status).toBe(202);
    expect(redrive.body.queued).toBe(4);
    const status = await eventually(async () => {
      const st = await call('GET', String(redrive.body.status), { key: s.key });
      return st.body.remaining === 0 ? st.body : undefined;
    });
    expect(status).toMatchObject({ queued: 4, delivered: 2, deadLetteredAgain: 2, remaining: 0 });
    for (const id of ids.slice(0, 2)) expect(s.sink.received.filter((r) => idOf(r) === id).map((r) => r.status)).toEqual([400, 503, 204]);
    const again = await allDeadLetters(s.id, s.key);
    expect(again.map((d) => d.eventId).sort()).toEqual(ids.slice(2).sort());
    expect(again.every((d) => d.reason === 'rejected' && d.httpStatus === 400)).toBe(true);
  });

  it('purges with a dry run first; a purged dead letter is never redriven; a paused subscription is not redriven', async () => {
    const s = await subscribe('purged');
    s.sink.respondWith(422);
    const ids = await births(5, 'purge');
    await eventually(async () => ((await allDeadLetters(s.id, s.key)).length >= 5 ? true : undefined));
    const dry = await call('POST', `${base(s.id)}/dead-letters/purge`, { key: s.key, body: { dryRun: true, httpStatus: 422 } });
    expect(dry.body).toMatchObject({ dryRun: true, matched: 5 });
    const purged = await call('POST', `${base(s.id)}/dead-letters/purge`, { key: s.key, body: {} });
    expect(purged.status).toBe(200);
    expect(purged.body.purged).toBe(5);
    expect((await allDeadLetters(s.id, s.key, 'purged')).map((d) => d.eventId).sort()).toEqual([...ids].sort());
    s.sink.respondWith(204);
    const redrive = await call('POST', `${base(s.id)}/dead-letters/redrive`, { key: s.key, body: {} });
    expect(redrive.body.queued).toBe(0);

    // A paused subscription delivers nothing: a redrive to it is refused until it resumes.
    const paused = await call('POST', `/api/admin/v1/subscriptions/${s.id}/pause`, { key: t.adminKey, body: {} });
    expect(paused.status).toBe(200);
    await t.platform.routing.waitFor(Number(paused.body.generation));
    const refused = await call('POST', `${base(s.id)}/dead-letters/redrive`, { key: s.key, body: { dryRun: true } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('subscription.invalid_state');
  });

  it('answers bad input with 400 and the pointer of each bad field, and hides other callers’ subscriptions', async () => {
    const sub = seeded.subscriptionId;
    const bad = async (method: string, path: string, body: unknown, pointer: string) => {
      const res = await call(method, path, { key: seeded.subscriberKey, ...(body === undefined ? {} : { body }) });
      expect(res.status, path).toBe(400);
      expect(res.body.code).toBe('request.validation_failed');
      expect((res.body.errors as { pointer: string }[]).map((e) => e.pointer)).toContain(pointer);
    };
    await bad('GET', `${base(sub)}/dead-letters?httpStatus=99`, undefined, '/query/httpStatus');
    await bad('GET', `${base(sub)}/dead-letters?state=gone`, undefined, '/query/state');
    await bad('GET', `${base(sub)}/dead-letters?cursor=nonsense`, undefined, '/query/cursor');
    await bad('GET', `${base(sub)}/redrives?cursor=nonsense`, undefined, '/query/cursor');
    await bad('GET', `${base(sub)}/redrives?limit=101`, undefined, '/query/limit');
    await bad('POST', `${base(sub)}/dead-letters/redrive`, { ids: ['dl_x'] }, '/ids/0');
    await bad('POST', `${base(sub)}/dead-letters/redrive`, { ratePerSec: 100_000 }, '/ratePerSec');
    await bad('POST', `${base(sub)}/dead-letters/redrive`, { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, '/to');
    await bad('POST', `${base(sub)}/dead-letters/purge`, { dryRun: 'yes' }, '/dryRun');

    const other = await subscribe('nosy');
    for (const [method, path] of [
      ['GET', `${base(sub)}/dead-letters`],
      ['POST', `${base(sub)}/dead-letters/redrive`],
      ['POST', `${base(sub)}/dead-letters/purge`],
      ['GET', `${base(sub)}/dead-letters/dl_0_0`],
      ['GET', `${base(sub)}/redrives`],
    ] as const) {
      const res = await call(method, path, { key: other.key, ...(method === 'POST' ? { body: {} } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('subscription.not_found');
    }
    expect((await call('GET', `${base('sub_unknown')}/dead-letters`, { key: t.adminKey })).status).toBe(404);
    expect((await call('GET', `${base(sub)}/dead-letters/dl_0_999999`, { key: seeded.subscriberKey })).body.code).toBe('dead_letter.not_found');
    expect((await call('GET', `${base(sub)}/redrives/rdr_none`, { key: seeded.subscriberKey })).body.code).toBe('redrive.not_found');
  });
});
