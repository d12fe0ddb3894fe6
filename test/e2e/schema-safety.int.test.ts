/**
 * Hostile schemas against the real platform (registry, Kafka, Redis, PostgreSQL): a room owner
 * registers schemas written to burn CPU — a backtracking pattern, uniqueItems over thousands of
 * objects, two recursive branches over nested arrays — grants itself a contract and publishes
 * the payloads that hurt most, as fast as it can. Meanwhile another tenant publishes: its p99
 * stays low and /healthz keeps answering (figures printed; the bar is in decision 0021). Schemas that could never
 * finish, or use patterns the linear-time engine cannot run, are refused at registration.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish as publishDemo, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { approvedRoom, client, createMember, type TestMember } from '../support/room-actors.ts';

let t: TestPlatform;
let call: ReturnType<typeof client>;
let seeded: SeededDemo;
let evil: TestMember;
let room: { id: string; path: string; generation: number };

const DRAFT7 = 'http://json-schema.org/draft-07/schema#';
const backtracking = { $schema: DRAFT7, type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
const unique = { $schema: DRAFT7, type: 'object', properties: { items: { type: 'array', uniqueItems: true } } };
const branchy = {
  $schema: DRAFT7,
  type: 'object',
  properties: { tree: { $ref: '#/definitions/n' } },
  definitions: { n: { anyOf: [{ type: 'array', items: { $ref: '#/definitions/n' }, maxItems: 1 }, { type: 'array', items: { $ref: '#/definitions/n' } }] } },
};

function nested(depth: number, inner: unknown[]): unknown {
  let v: unknown = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const distinct = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, at: { n: i } }));

const hostileEvents: Record<string, () => unknown> = {
  backtracking: () => ({ name: `${'a'.repeat(65_535)}!` }),
  // 8 000 distinct objects and then a copy of the first: the whole array is compared (1.8 s
  // with pairwise comparison), and the event is refused, so the attack costs only validation.
  unique: () => ({ items: [...distinct(8000), { at: { n: 0 }, id: 0 }] }),
  // The event object is level 1 and the limit is 32: 30 levels of arrays, invalid at the bottom.
  branchy: () => ({ tree: nested(29, [1]) }),
};

/** Publishes `event` (or a body already encoded: the attack loop encodes each payload once). */
async function publishAs(m: TestMember, eventType: string, event: unknown, encoded?: string) {
  const res = await fetch(`${t.platform.url}${room.path}/pub/v1/${eventType}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.app.key}`, 'x-govstack-client': m.app.client, 'content-type': 'application/json' },
    body: encoded ?? JSON.stringify({ eventType, event }),
  });
  return { status: res.status, body: (await res.json()) as { code?: string; detail?: string; errors?: { pointer: string }[] } };
}

beforeAll(async () => {
  t = await startTestPlatform('schemasafety');
  call = client(t);
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  evil = await createMember(t, 'EVIL');
  room = await approvedRoom(t, evil, 'attack');
}, 90_000);

afterAll(async () => {
  await t?.cleanup();
});

/**
 * The attacker's program (a separate process): publishes its mix of bodies in parallel loops
 * until told to stop, then sends its tally.
 */
const ATTACKER = `
let running = true;
const tally = {};
process.once('message', (m) => {
  if (m !== 'stop') return start(m);
});
function start({ url, key, client, mix, bodies }) {
  process.on('message', () => { running = false; });
const loop = async (names) => {
  for (let i = 0; running; i++) {
    const name = names[i % names.length];
    const res = await fetch(url + name, { method: 'POST', headers: { authorization: 'Bearer ' + key, 'x-govstack-client': client, 'content-type': 'application/json' }, body: bodies[name] });
    const body = await res.json();
    const k = (name + ' ' + res.status + ' ' + (body.code || '')).trim();
    tally[k] = (tally[k] || 0) + 1;
  }
};
Promise.all(mix.map(loop)).then(() => process.send(tally, () => process.exit(0)));
}
`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

describe('registration', () => {
  it('refuses a schema that could never finish, a pattern the linear-time engine cannot run, and an oversized schema — each a 400 at its pointer', async () => {
    const types = `${room.path}/api/v1/eventType`;
    const owner = { key: evil.app.key, client: evil.app.client };
    const cases: Array<[unknown, string, string]> = [
      [{ type: 'object', properties: { name: { type: 'string', pattern: '^(a)\\1$' } } }, '/schema/properties/name/pattern', 'event_type.schema_invalid'],
      [{ type: 'object', properties: { name: { type: 'string', pattern: '^(?!x)' } } }, '/schema/properties/name/pattern', 'event_type.schema_invalid'],
      [{ $ref: '#/definitions/a', definitions: { a: { anyOf: [{ $ref: '#/definitions/a' }] } } }, '/schema', 'event_type.schema_invalid'],
      [{ type: 'object', description: 'x'.repeat(70_000) }, '/schema', 'request.validation_failed'],
    ];
    for (const [schema, pointer, code] of cases) {
      const res = await call('POST', types, { eventType: 'refused', schema }, owner);
      expect([res.status, res.body.code, res.contentType], pointer).toEqual([400, code, 'application/problem+json']);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer.startsWith(pointer)), pointer).toContain(true);
    }
    const listed = await call('GET', types, undefined, owner);
    expect(listed.status).toBe(204);
  });
});

describe('a hostile owner publishing costly payloads', () => {
  it('never holds the event loop: another tenant keeps publishing and /healthz answers while the attack runs', async () => {
    const types = `${room.path}/api/v1/eventType`;
    const owner = { key: evil.app.key, client: evil.app.client };
    for (const [name, schema] of Object.entries({ backtracking, unique, branchy })) {
      const res = await call('POST', types, { eventType: name, schema }, owner);
      expect(res.status, name).toBe(200);
    }
    const granted = await call('POST', `/api/admin/v1/rooms/${room.id}/publishers`, { clientId: evil.appClientId, eventTypes: Object.keys(hostileEvents) }, { key: evil.admin.key });
    expect(granted.status).toBe(200);
    await t.platform.routing.waitFor(Number(granted.body.generation));

    // Each hostile payload on its own first: what it gets.
    const pattern = await publishAs(evil, 'backtracking', hostileEvents.backtracking?.());
    expect([pattern.status, pattern.body.code, pattern.body.errors?.[0]?.pointer]).toEqual([400, 'publish.schema_violation', '/event/name']);
    const dup = await publishAs(evil, 'unique', { items: [{ a: 1, b: 2 }, { b: 2, a: 1 }] });
    expect([dup.status, dup.body.code, dup.body.errors?.[0]?.pointer]).toEqual([400, 'publish.schema_violation', '/event/items']);
    const repeated = await publishAs(evil, 'unique', hostileEvents.unique?.());
    expect([repeated.status, repeated.body.errors?.[0]?.pointer]).toEqual([400, '/event/items']);
    expect((await publishAs(evil, 'unique', { items: distinct(8000) })).status).toBe(201);
    const costly = await publishAs(evil, 'branchy', hostileEvents.branchy?.());
    expect([costly.status, costly.body.code]).toEqual([422, 'publish.validation_too_costly']);
    expect((await publishAs(evil, 'branchy', { tree: nested(3, []) })).status).toBe(201);

    // Warm the other tenant's path, then measure it alone and under attack.
    for (let i = 0; i < 20; i++) expect((await publishDemo(t.platform.url, seeded.publisherKey, DEMO.sampleEvent)).status).toBe(201);
    const tenant = async (count: number) => {
      const ms: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const res = await publishDemo(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `m-${i}` });
        ms.push(performance.now() - t0);
        expect(res.status).toBe(201);
      }
      return ms.sort((a, b) => a - b);
    };
    const quiet = await tenant(200);

    // The attacker is another program, sending each hostile body (encoded once) as fast as answers
    // come back. On this 2-core machine its own CPU would be taken from the platform, which a
    // remote attacker's is not: it runs at the lowest CPU priority.
    const mix = (process.env.ATTACK ?? 'branchy;backtracking;unique').split(';').map((x) => x.split(','));
    const bodies = Object.fromEntries(Object.entries(hostileEvents).map(([name, make]) => [name, JSON.stringify({ eventType: name, event: make() })]));
    const attack = spawn('nice', ['-n', '19', process.execPath, '-e', ATTACKER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const outcomesReady = new Promise<Record<string, number>>((resolve, reject) => {
      attack.once('message', (m) => resolve(m as Record<string, number>));
      attack.once('error', reject);
      attack.once('exit', (code) => reject(new Error(`attacker exited with ${code} before its tally`)));
    });
    attack.send({ url: `${t.platform.url}${room.path}/pub/v1/`, key: evil.app.key, client: evil.app.client, mix, bodies });
    let probing = true;
    const health: number[] = [];
    const prober = (async () => {
      while (probing) {
        const t0 = performance.now();
        const res = await fetch(`${t.platform.url}/healthz`);
        await res.arrayBuffer();
        health.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 500)); // the attack is under way
    const stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
    const gc = { count: 0, totalMs: 0, maxMs: 0 };
    const gcWatch = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gc.count++;
        gc.totalMs += e.duration;
        gc.maxMs = Math.max(gc.maxMs, e.duration);
      }
    });
    gcWatch.observe({ entryTypes: ['gc'] });
    let loaded: number[];
    try {
      loaded = await tenant(400);
    } finally {
      probing = false;
      stalls.disable();
      gcWatch.disconnect();
      attack.send('stop');
    }
    const outcomes = new Map(Object.entries(await outcomesReady));
    await prober;
    if (attack.exitCode === null) attack.kill();

    const summary = { quietP99: percentile(quiet, 99), loadedP50: percentile(loaded, 50), loadedP99: percentile(loaded, 99), healthMax: Math.max(...health), loopDelayP99: stalls.percentile(99) / 1e6, loopDelayMax: stalls.max / 1e6, gc, outcomes: Object.fromEntries(outcomes) };
    console.log('schema-safety', JSON.stringify(summary));
    // Latency figures are printed, not held to the 50 ms bar here: beside other test files on a
    // loaded CI machine a GC pause alone can take ~100 ms (decision 0021 has the quiet-machine
    // figures). What must hold anywhere: before the fix one of these publishes held the loop
    // for minutes (2^30 steps), so a 500 ms bound fails without it.
    expect(summary.loadedP99).toBeLessThan(500);
    expect(summary.healthMax).toBeLessThan(1000);
    // The attack really ran: costly validations were stopped, then the schema was refused outright.
    expect(outcomes.get('branchy 422 publish.validation_too_costly') ?? 0).toBeGreaterThan(3);
    expect(outcomes.get('backtracking 400 publish.schema_violation') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('unique 400 publish.schema_violation') ?? 0).toBeGreaterThan(0);
    for (const k of outcomes.keys()) expect(k).not.toMatch(/ 5\d\d /);
    const after = await publishAs(evil, 'branchy', hostileEvents.branchy?.());
    expect(after.body.detail).toMatch(/refused for a minute/);
  });
});
