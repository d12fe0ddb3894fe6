/**
 * The Grafana dashboards (infra/grafana/dashboards) against a real Prometheus: the platform runs,
 * a Prometheus of its own (the binary scripts/infra installs, a temporary data directory, a free
 * loopback port, 1 s scrapes) scrapes its /metrics, some traffic goes through every path (publish,
 * push delivered and dead-lettered, pull lease and ack, a live stream, refused input, an idempotent
 * replay), and then every template-variable query and every panel query of every dashboard — the
 * variables replaced by the values their own queries return, Grafana's interval variables by fixed
 * durations — must run without error and return data. Grafana itself cannot run here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardJson, panelQueries, variableQueries } from '../../scripts/dashboards.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { freePort } from '../support/process.ts';
import { metricValue, subscribePush } from '../support/push.ts';
import { openSse } from '../support/stream-client.ts';

const DIR = new URL('../../infra/grafana/dashboards/', import.meta.url);
const dashboards = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as DashboardJson);
/** Grafana's own variables, as Grafana would fill them for a 1 s scrape interval and a short range. */
const BUILT_IN: Record<string, string> = { __rate_interval: '20s', __interval: '2s', __range: '1m' };

let t: TestPlatform;
let seeded: SeededDemo;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let dataDir = '';
let promLog = '';
const sinks: Subscriber[] = [];

async function startPrometheus(target: string): Promise<void> {
  dataDir = mkdtempSync(join(tmpdir(), 'roomcast-prom-'));
  const port = await freePort();
  const config = join(dataDir, 'prometheus.yml');
  writeFileSync(
    config,
    ['global: { scrape_interval: 1s, evaluation_interval: 1s }', 'scrape_configs:', '  - job_name: roomcast', '    metrics_path: /metrics', `    static_configs: [{ targets: ['${target}'] }]`, ''].join('\n'),
  );
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus.stderr?.on('data', (d: Buffer) => {
    promLog += d.toString();
  });
  for (const deadline = Date.now() + 30_000; ; await pause(200)) {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${promLog}`);
    if (await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`prometheus not ready within 30 s:\n${promLog}`);
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}
async function query(expr: string): Promise<QueryAnswer> {
  const res = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  return (await res.json()) as QueryAnswer;
}

/** A value as Grafana puts a selected variable value into a regex matcher (`=~"$var"`). */
const regexValue = (values: string[]) => {
  const escaped = values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&'));
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
};
const substitute = (expr: string, vars: Record<string, string>) => expr.replace(/\$(\w+)/g, (whole, name: string) => vars[name] ?? BUILT_IN[name] ?? whole);

interface Check {
  where: string;
  expr: string;
  problem?: string;
  /** For a query of a series that appears only at its first increment (`(…) or vector(0)`): whether the series itself had data. */
  ownData?: boolean;
}
const FALLBACK = /^\((.*)\) or vector\(0\)$/s;

/** Every variable and panel query of one dashboard, resolved and run once; the problems found. */
async function checkDashboard(d: DashboardJson): Promise<Check[]> {
  const checks: Check[] = [];
  const vars: Record<string, string> = {};
  for (const v of variableQueries(d)) {
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.query);
    const expr = m ? `count by (${m[2]}) (${substitute(m[1] ?? '', vars)})` : substitute(v.query, vars);
    const answer = await query(expr);
    const values = [...new Set((answer.data?.result ?? []).map((r) => r.metric[m?.[2] ?? ''] ?? '').filter((x) => x !== ''))].sort();
    const problem = answer.status !== 'success' ? `error: ${answer.error}` : values.length === 0 ? 'no values' : undefined;
    checks.push({ where: v.where, expr, ...(problem ? { problem } : {}) });
    // As Grafana does with every value selected.
    vars[v.name] = values.length > 0 ? regexValue(values) : '.*';
  }
  for (const q of panelQueries(d)) {
    const expr = substitute(q.expr, vars);
    const answer = await query(expr);
    const problem = answer.status !== 'success' ? `error: ${answer.error}` : (answer.data?.result.length ?? 0) === 0 ? 'no data' : undefined;
    const own = FALLBACK.exec(expr)?.[1];
    const ownData = own === undefined ? {} : { ownData: ((await query(own)).data?.result.length ?? 0) > 0 };
    checks.push({ where: q.where, expr, ...(problem ? { problem } : {}), ...ownData });
  }
  return checks;
}

beforeAll(async () => {
  t = await startTestPlatform('dash');
  await startPrometheus(new URL(t.platform.url).host);
  const call = caller(t.platform.url);
  const sink = await startSubscriber();
  sinks.push(sink);
  seeded = await seedDemo(t.platform.url, t.adminKey, sink.url);
  sink.setSecret(seeded.signingSecret);
  // A second push subscriber that refuses everything (400): its events are dead-lettered.
  const ops = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'OPS', name: 'Operations' } });
  const refusing = await subscribePush(t, call, { id: String(ops.body.id), code: 'OPS' }, 'refusing', {}, sinks);
  refusing.sink.respondWith(400);
  // A pull subscriber.
  const app = await call('POST', `/api/admin/v1/members/${String(ops.body.id)}/applications`, { key: t.adminKey, body: { code: 'puller' } });
  const puller = { key: String(app.body.apiKey), client: 'DEV/GOV/OPS/puller' };
  const pullSub = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { key: puller.key, client: puller.client, body: { eventType: DEMO.eventType, delivery: 'PULL' } });
  expect(pullSub.status).toBe(200);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${String(pullSub.body.id)}/approve`, { key: t.adminKey });
  await t.platform.routing.waitFor(Number(approved.body.generation));

  // A live stream on the demo subscription while the events are published.
  const stream = await openSse(t.platform.url, `${DEMO.roomPath}/stream/v1/${DEMO.eventType}`, { key: seeded.subscriberKey, client: DEMO.subscriberClient });
  expect(stream.status).toBe(200);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `mother-${i % 3}`, weight: 1000 + i });
    expect(res.status).toBe(201);
    ids.push(String(res.body.id));
  }
  // Refused input, and an idempotent replay of a known event id.
  expect((await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, weight: 'heavy' })).status).toBe(400);
  const replay = { id: randomUUID(), eventType: DEMO.eventType, event: DEMO.sampleEvent };
  const post = () =>
    fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': DEMO.publisherClient },
      body: JSON.stringify(replay),
    });
  expect((await post()).status).toBe(201);
  expect((await post()).status).toBe(200);
  ids.push(replay.id);

  await sink.waitFor((r) => ids.every((id) => r.some((x) => x.headers['webhook-id'] === id)));
  await refusing.sink.waitFor((r) => r.length >= ids.length);
  await stream.waitForEvents(ids.length);
  stream.close();
  const leased: string[] = [];
  const pull = `${DEMO.roomPath}/pull/v1/${DEMO.eventType}`;
  for (const deadline = Date.now() + 20_000; leased.length < ids.length && Date.now() < deadline; ) {
    const r = await call('POST', `${pull}/lease`, { key: puller.key, client: puller.client, body: { max: 100, waitSeconds: 1 } });
    const items = (r.body.items ?? []) as Array<{ receipt: string }>;
    if (items.length > 0) expect((await call('POST', `${pull}/ack`, { key: puller.key, client: puller.client, body: { receipts: items.map((i) => i.receipt) } })).status).toBe(200);
    leased.push(...items.map((i) => i.receipt));
  }
  expect(leased.length).toBe(ids.length);
}, 120_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus?.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  for (const s of sinks) await s.close();
  await t?.cleanup();
});

describe('Grafana dashboards against a real Prometheus', () => {
  it('use only metrics a Roomcast process exports', async () => {
    const exported = await (await fetch(`${t.platform.url}/metrics`)).text();
    const types = new Set([...exported.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const used = new Set(dashboards.flatMap((d) => panelQueries(d).flatMap((q) => q.expr.match(/roomcast_[a-z0-9_]+/g) ?? [])));
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((name) => !types.has(name) && !types.has(name.replace(/_(bucket|sum|count)$/, '')))).toEqual([]);
    // The process's Kafka connections are counted (producer, consumers, admin).
    expect(await metricValue(t.platform.url, 'roomcast_kafka_connections')).toBeGreaterThan(0);
  });

  it('run every variable and panel query without error, each returning data', async () => {
    let checks: Check[] = [];
    // Until the scrapes after the traffic are in (series appear at their first scrape; rates need two).
    for (const deadline = Date.now() + 30_000; ; await pause(1000)) {
      checks = (await Promise.all(dashboards.map(checkDashboard))).flat();
      if (checks.every((c) => !c.problem) || Date.now() > deadline) break;
    }
    expect(checks.length).toBeGreaterThan(80);
    expect(checks.filter((c) => c.problem).map((c) => `${c.where}: ${c.problem}\n    ${c.expr}`)).toEqual([]);
    // The error-class series this traffic causes are there themselves, not only as the 0 fallback.
    const own = checks.filter((c) => c.ownData).map((c) => c.where);
    expect(own).toEqual(
      expect.arrayContaining([
        'roomcast-publish / panel "Refused input by reason" / A',
        'roomcast-publish / panel "Known event ids (idempotency)" / A',
        'roomcast-delivery / panel "Errors by class" / A',
        'roomcast-delivery / panel "Dead letters by reason" / A',
      ]),
    );
  }, 60_000);
});
