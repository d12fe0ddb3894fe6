/**
 * The `log` bench section, on its own platform (dispatcher stopped, so only the publish path,
 * the sink and Redis are measured):
 *
 * 1. Redis `used_memory` before and after N single publishes with generated ids, then N with
 *    publisher-chosen ids: bytes per event (bars: ≤ 16 and ≤ 200).
 * 2. Sink lag while those publishes run (closed loop at 64 connections, the highest rate the
 *    ingress sustains here): every 250 ms the room partitions' end offsets are noted, and the
 *    lag of that sample is the time until the sink's heads reach them; p50/p99/max.
 * 2b. Sink lag under open-loop publishing (a fixed schedule, whatever the answers: nothing
 *    slows the offered load when the sink falls behind) at 90 % of the closed-loop rate of step 2,
 *    for BENCH_LOG_OPEN_SECONDS (default 120 s) — the bar's "≥ 2 minutes at the highest rate the
 *    ingress sustains".
 * 3. Sink write rate on a backlog (sink stopped, N events published, sink started: rows/s from
 *    its first row to its last) beside a bare multi-row `INSERT … SELECT unnest` of the same rows
 *    into a copy of the table, same batch size, in the same run.
 * 4. Search over ≥ 1 000 000 seeded log rows: p50/p99 of filtered search pages through the API.
 */
import { randomUUID } from 'node:crypto';
import { GrouplessReader } from '@roomcast/kafka';
import { LogStore, streamOf } from '@roomcast/log';
import { Pool } from 'undici';
import type { TestPlatform } from '../../test/support/platform.ts';
import { DEMO, type SeededDemo } from '../lib/demo.ts';
import { postOp } from './http.ts';
import { closedLoop, percentile } from './loop.ts';
import { openLoop } from './open-loop.ts';
import { grid } from './report.ts';

export interface LogBenchOptions {
  tp: TestPlatform;
  seeded: SeededDemo;
  events: number;
  searchRows: number;
  /** Length of the open-loop window (step 2b). */
  openSeconds: number;
  progress(line: string): void;
}

export interface LogReport {
  rows: string[][];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function usedMemory(tp: TestPlatform): Promise<number> {
  await pause(1000);
  const info = await tp.platform.runtime.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Samples the sink's lag behind the room topic while `during` runs. */
async function sinkLag<T>(tp: TestPlatform, topics: string[], during: Promise<T>): Promise<{ result: T; lags: number[] }> {
  const reader = await GrouplessReader.open(tp.platform.runtime.kafka, topics);
  const store = tp.platform.log.store;
  const pending: Array<{ at: number; ends: Map<string, bigint> }> = [];
  const lags: number[] = [];
  let done = false;
  const loop = (async () => {
    while (!done || pending.length > 0) {
      if (!done) {
        const ends = new Map((await reader.offsets('latest')).map((p) => [streamOf(p.topic, p.partition), BigInt(p.offset) - 1n]));
        pending.push({ at: performance.now(), ends });
      }
      const heads = await store.positions([...(pending[0]?.ends.keys() ?? [])]);
      const now = performance.now();
      while (pending.length > 0 && [...(pending[0]?.ends ?? [])].every(([s, end]) => (heads.get(s) ?? -1n) >= end)) {
        lags.push((now - (pending.shift()?.at ?? now)) / 1000);
      }
      if (done && pending.length > 0 && now - (pending[0]?.at ?? now) > 120_000) break;
      await pause(250);
    }
  })();
  const result = await during;
  done = true;
  await loop;
  await reader.close();
  return { result, lags };
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');

export async function benchLog(o: LogBenchOptions): Promise<LogReport> {
  const { tp, seeded } = o;
  const pool = new Pool(tp.platform.url, { connections: 64 });
  const rows: string[][] = [];
  const room = tp.platform.routing.current().room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' });
  if (!room) throw new Error('demo room missing');
  const topics = [room.topic, room.urgentTopic];
  const headers = { authorization: `Bearer ${seeded.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': DEMO.publisherClient };
  const path = `${DEMO.roomPath}/pub/v1/${DEMO.eventType}`;
  const body = JSON.stringify({ eventType: DEMO.eventType, event: DEMO.sampleEvent });
  await tp.platform.dispatcher.stop();
  try {
    // 1 + 2: Redis per event, and the sink's lag meanwhile.
    let sustained = 0;
    for (const chosen of [false, true]) {
      const label = chosen ? 'publisher-chosen ids' : 'generated ids';
      const before = await usedMemory(tp);
      const op = chosen
        ? async () => {
            const res = await pool.request({ path, method: 'POST', headers, body: JSON.stringify({ eventType: DEMO.eventType, event: DEMO.sampleEvent, id: randomUUID() }) });
            await res.body.dump();
            return res.statusCode === 201;
          }
        : postOp(pool, { path, headers, body, expectStatus: 201 });
      const { result: r, lags } = await sinkLag(tp, topics, closedLoop({ concurrency: 64, warmupMs: 0, durationMs: 600_000, maxOps: o.events, op }));
      const after = await usedMemory(tp);
      const perEvent = (after - before) / r.ops;
      const sorted = Float64Array.from(lags).sort();
      o.progress(`${label}: ${r.ops} publishes at ${r.perSecond.toFixed(0)}/s (${r.errors} errors); Redis ${before} → ${after} B = ${perEvent.toFixed(1)} B/event; sink lag p50 ${fmt(percentile(sorted, 50))} s p99 ${fmt(percentile(sorted, 99))} s`);
      rows.push([`Redis used_memory per event, ${label}`, `${perEvent.toFixed(1)} B`, `${r.ops} publishes at ${r.perSecond.toFixed(0)}/s over ${r.seconds.toFixed(0)} s`, chosen ? '≤ 200 B' : '≤ 16 B']);
      rows.push([`sink lag while publishing, ${label}`, `p50 ${fmt(percentile(sorted, 50))} s · p99 ${fmt(percentile(sorted, 99))} s · max ${fmt(sorted.at(-1) ?? Number.NaN)} s`, `${lags.length} samples, 250 ms apart`, 'p99 ≤ 2 s']);
      if (!chosen) sustained = r.perSecond;
    }

    // 2b: the sink's lag under an open-loop schedule at 90 % of the closed-loop rate.
    if (o.openSeconds > 0 && sustained > 0) {
      const rate = Math.floor(sustained * 0.9);
      const { result: r, lags } = await sinkLag(
        tp,
        topics,
        openLoop({ ratePerSecond: rate, durationMs: o.openSeconds * 1000, warmupMs: 2000, maxInFlight: 2048, op: postOp(pool, { path, headers, body, expectStatus: 201 }) }),
      );
      const sorted = Float64Array.from(lags).sort();
      o.progress(`open loop ${rate}/s for ${o.openSeconds} s: ${r.ok} ok, ${r.errors} errors (${r.shed} shed), publish p99 ${r.p99Ms.toFixed(0)} ms; sink lag p50 ${fmt(percentile(sorted, 50))} s p99 ${fmt(percentile(sorted, 99))} s`);
      rows.push([
        'sink lag, open-loop publishing',
        `p50 ${fmt(percentile(sorted, 50))} s · p99 ${fmt(percentile(sorted, 99))} s · max ${fmt(sorted.at(-1) ?? Number.NaN)} s`,
        `${rate}/s offered (90 % of the closed-loop rate) for ${o.openSeconds} s: ${r.ok} published, ${r.errors} errors, publish p50 ${r.p50Ms.toFixed(0)} ms p99 ${r.p99Ms.toFixed(0)} ms; ${lags.length} samples`,
        'p99 ≤ 2 s for ≥ 2 min',
      ]);
    }

    // 3: backlog drain rate beside a bare insert of the same rows.
    const sink = tp.platform.logSink;
    if (sink) {
      await sink.stop();
      const store = tp.platform.log.store;
      const countRows = async () => Number((await store.query<{ n: string }>('SELECT count(*) AS n FROM events', []))[0]?.n);
      const base = await countRows();
      const backlog = Math.min(o.events, 100_000);
      await closedLoop({ concurrency: 64, warmupMs: 0, durationMs: 600_000, maxOps: backlog, op: postOp(pool, { path, headers, body, expectStatus: 201 }) });
      const target = base + backlog;
      await sink.start();
      let first = 0;
      for (;;) {
        const n = await countRows();
        if (n > base && first === 0) first = performance.now();
        if (n >= target) break;
        await pause(50);
      }
      const sinkRate = (backlog / (performance.now() - first)) * 1000;
      const bare = await bareInsertRate(tp, backlog);
      o.progress(`sink drained ${backlog} rows at ${sinkRate.toFixed(0)} rows/s; bare unnest insert ${bare.toFixed(0)} rows/s`);
      rows.push(['sink write rate on a backlog', `${sinkRate.toFixed(0)} rows/s`, `bare INSERT … unnest of the same rows: ${bare.toFixed(0)} rows/s (${((sinkRate / bare) * 100).toFixed(0)} %)`, 'keeps up (see lag)']);
    }

    // 4: search over a large log.
    const seededRows = await seedSearchRows(tp, o.searchRows, o.progress);
    const searches: Array<[string, string]> = [
      ['publisher, 7 days', `/api/v1/log/events?publisher=DEV/GOV/MOH/app-17&from=${encodeURIComponent(new Date(Date.now() - 7 * 86400_000).toISOString())}&limit=100`],
      ['room + event type, 1 day', `/api/v1/log/events?room=DEV/GOV/MOH/births&eventType=type-3&from=${encodeURIComponent(new Date(Date.now() - 86400_000).toISOString())}&limit=100`],
      ['room + classification, 7 days', `/api/v1/log/events?room=DEV/GOV/MOH/births&classification=PHI&from=${encodeURIComponent(new Date(Date.now() - 7 * 86400_000).toISOString())}&limit=100`],
      ['room, 7 days, page 5 by cursor', ''],
    ];
    const admin = { authorization: `Bearer ${tp.adminKey}` };
    for (const [label, q] of searches) {
      let target = q;
      if (label.includes('cursor')) {
        let next: string | null = null;
        for (let i = 0; i < 4; i++) {
          const page: Awaited<ReturnType<Pool["request"]>> = await pool.request({ path: `/api/v1/log/events?room=DEV/GOV/MOH/births&from=${encodeURIComponent(new Date(Date.now() - 7 * 86400_000).toISOString())}&limit=100${next ? `&cursor=${next}` : ''}`, method: 'GET', headers: admin });
          next = ((await page.body.json()) as { next: string | null }).next;
        }
        target = `/api/v1/log/events?room=DEV/GOV/MOH/births&from=${encodeURIComponent(new Date(Date.now() - 7 * 86400_000).toISOString())}&limit=100&cursor=${next}`;
      }
      let items = 0;
      const r = await closedLoop({
        concurrency: 4,
        warmupMs: 500,
        durationMs: 5000,
        maxOps: 2000,
        op: async () => {
          const res = await pool.request({ path: target, method: 'GET', headers: admin });
          const j = (await res.body.json()) as { items?: unknown[] };
          items = j.items?.length ?? 0;
          return res.statusCode === 200;
        },
      });
      o.progress(`search ${label}: ${r.ops} requests p50 ${fmt(r.p50Ms)} ms p99 ${fmt(r.p99Ms)} ms (${items} items per page)`);
      rows.push([`search page over ${seededRows} rows: ${label}`, `p50 ${fmt(r.p50Ms)} ms · p99 ${fmt(r.p99Ms)} ms`, `${r.ops} requests, 4 concurrent, ${items} items per page, ${r.errors} errors`, 'p99 ≤ 100 ms']);
    }
  } finally {
    await pool.close();
  }
  return { rows };
}

/** Rows per second of a bare multi-row insert of `n` event rows (batches of 500) into a copy of the events table. */
async function bareInsertRate(tp: TestPlatform, n: number): Promise<number> {
  const owner = new LogStore({ url: tp.config.ROOMCAST_DATABASE_URL, schema: tp.config.ROOMCAST_LOG_SCHEMA, maxConnections: 1, statementTimeoutMs: 600_000 });
  try {
    await owner.query('CREATE TABLE bench_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)', []);
    const sample = (await owner.query<Record<string, unknown>>('SELECT * FROM events LIMIT 1', []))[0];
    if (!sample) return Number.NaN;
    const t0 = performance.now();
    for (let done = 0; done < n; done += 500) {
      const k = Math.min(500, n - done);
      const offsets = Array.from({ length: k }, (_, i) => String(1_000_000_000 + done + i));
      const rep = <T>(v: T) => Array.from({ length: k }, () => v);
      await owner.query(
        `INSERT INTO bench_events (logged_at, topic, kpartition, koffset, event_id, room_id, event_type, publisher, published_at, urgent, key_sha256, payload_sha256, size, classification, priority, schema_id, traceparent, prev_hash, entry_hash)
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::bigint[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bool[], $11::bytea[], $12::bytea[], $13::int[], $14::text[], $15::text[], $16::int[], $17::text[], $18::bytea[], $19::bytea[])`,
        [
          rep(new Date()),
          rep('bench'),
          rep(0),
          offsets,
          Array.from({ length: k }, () => randomUUID()),
          rep(sample.room_id),
          rep(sample.event_type),
          rep(sample.publisher),
          rep(new Date()),
          rep(false),
          rep(sample.key_sha256),
          rep(sample.payload_sha256),
          rep(sample.size),
          rep(sample.classification),
          rep(sample.priority),
          rep(sample.schema_id),
          rep(null),
          rep(sample.prev_hash),
          rep(sample.entry_hash),
        ],
      );
    }
    return (n / (performance.now() - t0)) * 1000;
  } finally {
    await owner.query('DROP TABLE IF EXISTS bench_events', []).catch(() => {});
    await owner.close();
  }
}

/** Seeds `n` synthetic event rows over the last 7 days (one in 7 in the demo room, the rest over 50 others; 200 publishers, 10 types, 5 classifications), as the schema's owner. */
async function seedSearchRows(tp: TestPlatform, n: number, progress: (line: string) => void): Promise<number> {
  const owner = new LogStore({ url: tp.config.ROOMCAST_DATABASE_URL, schema: tp.config.ROOMCAST_LOG_SCHEMA, maxConnections: 1, statementTimeoutMs: 1_800_000 });
  const room = tp.platform.routing.current().room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' });
  try {
    await owner.query('SELECT ensure_partitions(current_date - 8, 12)', []);
    const t0 = performance.now();
    for (let done = 0; done < n; done += 250_000) {
      const k = Math.min(250_000, n - done);
      await owner.query(
        `INSERT INTO events (logged_at, topic, kpartition, koffset, event_id, room_id, event_type, publisher, published_at, urgent, key_sha256, payload_sha256, size, classification, priority, schema_id, traceparent, prev_hash, entry_hash)
         SELECT now() - (random() * interval '7 days'), 'bench.seed', (g % 3)::int, g, gen_random_uuid(),
                CASE WHEN g % 7 = 0 THEN $2 ELSE 'room-' || (g % 50) END, 'type-' || (g % 10), 'DEV/GOV/MOH/app-' || (g % 200),
                now(), false, sha256(g::text::bytea), sha256(('p' || g)::bytea), 200,
                (ARRAY['PUBLIC','INTERNAL','CONFIDENTIAL','PII','PHI'])[1 + g % 5], 'NORMAL', 1, NULL, sha256(''::bytea), sha256(g::text::bytea)
           FROM generate_series($1::bigint, $1::bigint + $3 - 1) AS g`,
        [10_000_000 + done, room?.id ?? 'none', k],
      );
    }
    await owner.query('ANALYZE events', []);
    const total = Number((await owner.query<{ n: string }>('SELECT count(*) AS n FROM events', []))[0]?.n);
    progress(`seeded ${n} log rows in ${((performance.now() - t0) / 1000).toFixed(0)} s (${total} rows in the log)`);
    return total;
  } finally {
    await owner.close();
  }
}

export function logTable(r: LogReport): string {
  return grid(['message log', 'measured', 'how', 'bar'], r.rows);
}

