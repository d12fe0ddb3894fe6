/**
 * Push delivery bench (`BENCH_SECTIONS=push npm run bench`, issue 5 item 11). It drives a platform
 * of its own (`startTestPlatform`, publisher and room rate limits off) only through public
 * surfaces — admin and GovStack routes to set up, the publish and batch publish routes, a local
 * sink in a child process (push-sink.ts) — so it measures whatever dispatcher the platform runs.
 *
 * 1. `baseline`: a bare undici loop from this process (an `Agent` with the dispatcher's settings)
 *    POSTing the sink a captured delivery (same headers, same body) at concurrency = maxInFlight,
 *    closed loop → requests/s.
 * 2. `throughput`: one subscription per (maxInFlight, FIFO) pair is created and paused, N events
 *    (`BENCH_PUSH_KEYS` FIFO keys) are preloaded by batch publish, then each subscription in turn
 *    is resumed and drains the backlog: deliveries/s from the first to the last receipt at the
 *    sink, against the baseline at the same concurrency (target ≥ 50 %).
 * 3. `latency`: open-loop single publishes at fixed rates (scheduled send times, never waiting for
 *    an answer before the next), each with its own event id; latency = receipt at the sink −
 *    scheduled send time, p50/p99/p999.
 * 4. `fan-out`: one room with 1, 10, 100 subscriptions (one sink path each); setup (creating
 *    them) and readiness (a probe event reaching all of them) are reported apart from the time
 *    M events take from the start of their publishing to the last delivery.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Agent, request } from 'undici';
import { infraEndpoints } from '../infra/config.ts';
import { startTestPlatform } from '../../test/support/platform.ts';
import { closedLoop, percentile } from './loop.ts';
import { type PathStats, type PushSink, type SinkSample, startPushSink, sumPaths } from './push-sink.ts';
import { benchEvent, type PushRoom, PushWorld } from './push-setup.ts';
import { connectionsTo, peakRss, runningConsumers } from './process-stats.ts';

const env = (name: string, dflt: string): string => process.env[name] ?? dflt;
const numbers = (v: string): number[] => v.split(',').map(Number).filter((x) => x > 0);

/** Every knob of the section, from the environment; the defaults keep it within about 4 minutes. */
export const PUSH_SETTINGS = {
  events: Number(env('BENCH_PUSH_EVENTS', '10000')),
  keys: Number(env('BENCH_PUSH_KEYS', '256')),
  partitions: Number(env('BENCH_PUSH_PARTITIONS', '3')),
  inFlight: numbers(env('BENCH_PUSH_INFLIGHT', '1,16,64')),
  fifo: env('BENCH_PUSH_FIFO', 'off,on')
    .split(',')
    .map((x) => x.trim() === 'on'),
  baselineSeconds: Number(env('BENCH_PUSH_BASELINE_SECONDS', '3')),
  rates: numbers(env('BENCH_PUSH_RATES', '100,500,1000')),
  rateSeconds: Number(env('BENCH_PUSH_RATE_SECONDS', '10')),
  fanout: numbers(env('BENCH_PUSH_FANOUT', '1,10,100')),
  fanoutEvents: Number(env('BENCH_PUSH_FANOUT_EVENTS', '500')),
  /** Subscription creations in flight at once while a fan-out is set up. */
  fanoutSetupWidth: Number(env('BENCH_PUSH_FANOUT_SETUP_WIDTH', '4')),
  /** Extra settings of the bench's platform, `NAME=value,NAME=value` (e.g. dispatcher settings to compare). */
  platformEnv: Object.fromEntries(
    env('BENCH_PUSH_PLATFORM_ENV', '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  ) as Record<string, string>,
  /** Longest wait for one backlog, one latency tail or one fan-out to be delivered. */
  drainSeconds: Number(env('BENCH_PUSH_DRAIN_SECONDS', '90')),
};

/** The broker port the platform's Kafka connections go to. */
const brokerPort = Number(infraEndpoints().kafkaBrokers[0]?.split(':').pop());

const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (v: number, d = 0): string => (Number.isFinite(v) ? v.toFixed(d) : '-');

function dispatcherLikeAgent(): Agent {
  // The dispatcher's settings (services/dispatcher/src/dispatcher.ts at the time of writing).
  return new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 10_000 });
}

async function baseline(agent: Agent, sink: PushSink, sample: SinkSample, concurrency: number, seconds: number) {
  const url = `${sink.url}/baseline/c${concurrency}`;
  const headers = Object.fromEntries(Object.entries(sample.headers).filter(([k]) => k !== 'transfer-encoding'));
  return closedLoop({
    concurrency,
    warmupMs: 500,
    durationMs: seconds * 1000,
    maxOps: 5_000_000,
    op: async () => {
      const res = await request(url, { method: 'POST', headers, body: sample.body, dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.dump();
      return res.statusCode === 204;
    },
  });
}

export interface ThroughputResult {
  inFlight: number;
  fifo: boolean;
  events: number;
  delivered: number;
  duplicates: number;
  /** Deliveries that arrived before an earlier event of their key (allowed only without FIFO). */
  reordered: number;
  /** Resume call → first receipt (contract propagation, consumer start, group join, first fetch). */
  startMs: number;
  perSecond: number;
  baselinePerSecond: number;
  cpuPct: number;
}

/** Resumes a paused subscription with a backlog of `n` and waits until the sink has all of them. */
async function drain(world: PushWorld, sink: PushSink, subscriptionId: string, path: string, n: number) {
  const t0 = epochNow();
  await world.resume(subscriptionId);
  // CPU share of this process (platform and bench, not the sink) from the first delivery on.
  await sink.waitFor((st) => (st[path]?.unique ?? 0) >= 1, PUSH_SETTINGS.drainSeconds * 1000);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await sink.waitFor((st) => (st[path]?.unique ?? 0) >= n, PUSH_SETTINGS.drainSeconds * 1000);
  const st: PathStats = (await sink.stats())[path] ?? { count: 0, unique: 0, duplicates: 0, reordered: 0, first: Number.NaN, last: Number.NaN };
  const cpu = process.cpuUsage(cpu0);
  await world.pause(subscriptionId);
  const span = (st.last - st.first) / 1000;
  return {
    delivered: st.unique,
    duplicates: st.duplicates,
    reordered: st.reordered,
    startMs: st.first - t0,
    perSecond: span > 0 ? (st.unique - 1) / span : Number.NaN,
    cpuPct: (cpu.user + cpu.system) / 1e4 / ((performance.now() - wall0) / 1000),
  };
}

interface OpenPublish {
  /** Scheduled send time (epoch ms) of every accepted publish in the measured window, by event id. */
  due: Map<string, number>;
  scheduled: number;
  errors: number;
  shed: number;
}

/**
 * Open loop: publish `i` is due at t0 + i/rate and is sent then whether or not earlier ones
 * answered (at most 4096 outstanding; beyond that it is shed and counted). The first `warmupMs`
 * are not recorded.
 */
async function openPublish(world: PushWorld, room: PushRoom, rate: number, durationMs: number, warmupMs: number): Promise<OpenPublish> {
  const out: OpenPublish = { due: new Map(), scheduled: 0, errors: 0, shed: 0 };
  const pending = new Set<Promise<void>>();
  const interval = 1000 / rate;
  const total = Math.floor(((warmupMs + durationMs) / 1000) * rate);
  const t0 = performance.now();
  let i = 0;
  while (i < total) {
    const now = performance.now();
    while (i < total && t0 + i * interval <= now) {
      const due = t0 + i * interval;
      const record = due >= t0 + warmupMs;
      const id = randomUUID();
      const event = benchEvent(i, PUSH_SETTINGS.keys);
      i++;
      if (record) out.scheduled++;
      if (pending.size >= 4096) {
        if (record) out.shed++;
        continue;
      }
      const p = world.publishOne(room, event, id).then(
        (ok) => {
          if (record && ok) out.due.set(id, performance.timeOrigin + due);
          else if (record) out.errors++;
          pending.delete(p);
        },
        () => {
          if (record) out.errors++;
          pending.delete(p);
        },
      );
      pending.add(p);
    }
    await sleep(Math.max(1, t0 + i * interval - performance.now()));
  }
  await Promise.all(pending);
  return out;
}

export interface LatencyResult {
  rate: number;
  scheduled: number;
  accepted: number;
  errors: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

async function latency(world: PushWorld, sink: PushSink, room: PushRoom, path: string, rate: number, seconds: number, warmupMs: number): Promise<LatencyResult> {
  const before = (await sink.stats())[path]?.unique ?? 0;
  const run = await openPublish(world, room, rate, seconds * 1000, warmupMs);
  const expected = before + Math.floor(((warmupMs + seconds * 1000) / 1000) * rate) - run.errors - run.shed;
  await sink.waitFor((st) => (st[path]?.unique ?? 0) >= expected, PUSH_SETTINGS.drainSeconds * 1000);
  const times = await sink.times(path);
  const lat: number[] = [];
  for (const [id, due] of run.due) {
    const at = times.get(id);
    if (at !== undefined) lat.push(at - due);
  }
  const sorted = Float64Array.from(lat).sort();
  return {
    rate,
    scheduled: run.scheduled,
    accepted: run.due.size,
    errors: run.errors + run.shed,
    delivered: lat.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
  };
}

export interface FanoutResult {
  subscriptions: number;
  setupMs: number;
  readyMs: number;
  ready: number;
  events: number;
  delivered: number;
  duplicates: number;
  publishMs: number;
  completeMs: number;
  perSecond: number;
  /** Highest RSS of the bench process (the whole platform runs in it) from setup to the last delivery. */
  rssMb: number;
  /** Established connections of the process to the Kafka broker at the end. */
  kafkaConnections: number;
  /** Push consumers running (one consumer-group member per subscription). */
  consumers: number;
}

async function fanout(world: PushWorld, sink: PushSink, room: PushRoom, from: number, to: number, events: number): Promise<FanoutResult> {
  await world.ensureApps(to);
  const s0 = performance.now();
  await world.subscribeMany(room, from, to, (app) => ({ pushUrl: `${sink.url}/fan/${app}`, FIFO: false, maxInFlight: 16 }), PUSH_SETTINGS.fanoutSetupWidth);
  const setupMs = performance.now() - s0;
  // Ready when a probe event has reached every subscription (all consumer groups joined).
  const probe = randomUUID();
  const r0 = performance.now();
  await world.publishOne(room, benchEvent(0, PUSH_SETTINGS.keys), probe);
  const deadline = Date.now() + PUSH_SETTINGS.drainSeconds * 1000;
  let ready = await sink.holders(probe, '/fan/');
  while (ready < to && Date.now() < deadline) {
    await sleep(50);
    ready = await sink.holders(probe, '/fan/');
  }
  const readyMs = performance.now() - r0;
  const before = sumPaths(await sink.stats(), '/fan/');
  const t0 = epochNow();
  await world.publishBatches(room, events, (i) => benchEvent(i, PUSH_SETTINGS.keys));
  const publishMs = epochNow() - t0;
  const target = before.unique + to * events;
  await sink.waitFor((st) => sumPaths(st, '/fan/').unique >= target, PUSH_SETTINGS.drainSeconds * 1000);
  const after = sumPaths(await sink.stats(), '/fan/');
  const delivered = after.unique - before.unique;
  const completeMs = after.last - t0;
  return {
    subscriptions: to,
    setupMs,
    readyMs,
    ready,
    events,
    delivered,
    duplicates: after.duplicates - before.duplicates,
    publishMs,
    completeMs,
    perSecond: delivered / (completeMs / 1000),
    rssMb: Number.NaN,
    kafkaConnections: connectionsTo(brokerPort),
    consumers: await runningConsumers(world.url),
  };
}

export interface PushReport {
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  fanout: FanoutResult[];
  /** Size of the captured delivery body the baseline sends. */
  bodyBytes: number;
  /** 1-minute load average of the machine at the start and the end of the section. */
  load: [number, number];
}

export async function benchPush(progress: (line: string) => void): Promise<PushReport> {
  const s = PUSH_SETTINGS;
  const load = () => loadavg()[0] ?? Number.NaN;
  const report: PushReport = { throughput: [], latency: [], fanout: [], bodyBytes: 0, load: [load(), Number.NaN] };
  const sink = await startPushSink();
  const tp = await startTestPlatform('push', { ROOMCAST_RATE_PUBLISHER_PER_SEC: '0', ROOMCAST_RATE_ROOM_PER_SEC: '0', ROOMCAST_PUBLISH_BYTES_PER_SEC: '0', ...s.platformEnv });
  const agent = dispatcherLikeAgent();
  let world: PushWorld | undefined;
  try {
    world = new PushWorld(tp.platform.url, tp.adminKey, s.partitions);
    await world.setup();

    // Warm-up on the latency subscription; its first delivery is the baseline's sample.
    const latRoom = await world.room('pushlat');
    await world.subscribe(latRoom, 0, { pushUrl: `${sink.url}/push/latency`, FIFO: false, maxInFlight: 16 });
    const warm = await latency(world, sink, latRoom, '/push/latency', 100, 3, 0);
    progress(`warm-up: ${warm.delivered}/${warm.accepted} delivered, p50 ${f(warm.p50Ms, 1)} ms`);
    const sample = await sink.sample();
    if (!sample) throw new Error('push bench: the warm-up delivered nothing to the sink');
    report.bodyBytes = Buffer.byteLength(sample.body);

    // Throughput: subscriptions first (they start from now), paused; then the backlog.
    const tputRoom = await world.room('pushtput');
    const scenarios = s.inFlight.flatMap((inFlight) => s.fifo.map((fifo) => ({ inFlight, fifo, path: `/push/tput-${inFlight}-${fifo ? 'fifo' : 'any'}`, id: '' })));
    let app = 1;
    for (const sc of scenarios) {
      sc.id = await world.subscribe(tputRoom, app++, { pushUrl: `${sink.url}${sc.path}`, FIFO: sc.fifo, maxInFlight: sc.inFlight });
      await world.pause(sc.id);
    }
    const p0 = performance.now();
    await world.publishBatches(tputRoom, s.events, (i) => benchEvent(i, s.keys));
    progress(`preloaded ${s.events} events (${s.keys} keys, ${s.partitions} partitions) in ${f((performance.now() - p0) / 1000, 1)} s`);
    for (const sc of scenarios) {
      // Right before each scenario: on a shared machine the ceiling drifts within minutes.
      const b = await baseline(agent, sink, sample, sc.inFlight, s.baselineSeconds);
      progress(`baseline c=${sc.inFlight}: ${f(b.perSecond)} requests/s (p50 ${f(b.p50Ms, 2)} ms, errors ${b.errors})`);
      const d = await drain(world, sink, sc.id, sc.path, s.events);
      const baselinePerSecond = b.perSecond;
      report.throughput.push({ inFlight: sc.inFlight, fifo: sc.fifo, events: s.events, baselinePerSecond, ...d });
      progress(
        `push maxInFlight=${sc.inFlight} FIFO=${sc.fifo}: ${d.delivered}/${s.events} in ${f(d.perSecond)}/s (${f((d.perSecond / baselinePerSecond) * 100, 1)} % of baseline), start ${f(d.startMs)} ms, dup ${d.duplicates}, reordered ${d.reordered}`,
      );
    }

    for (const rate of s.rates) {
      const r = await latency(world, sink, latRoom, '/push/latency', rate, s.rateSeconds, 1000);
      report.latency.push(r);
      progress(`latency ${rate}/s: ${r.delivered}/${r.accepted} delivered, p50 ${f(r.p50Ms, 1)} p99 ${f(r.p99Ms, 1)} p999 ${f(r.p999Ms, 1)} ms, errors ${r.errors}`);
    }

    const fanRoom = await world.room('pushfan');
    let have = 0;
    for (const n of s.fanout) {
      const { value: r, peakMb } = await peakRss(() => fanout(world as PushWorld, sink, fanRoom, have, n, s.fanoutEvents));
      r.rssMb = peakMb;
      have = n;
      report.fanout.push(r);
      progress(
        `fan-out ${n}: setup ${f(r.setupMs)} ms, ready ${f(r.readyMs)} ms (${r.ready}/${n}), ${r.delivered}/${n * r.events} in ${f(r.completeMs)} ms = ${f(r.perSecond)}/s, peak RSS ${f(r.rssMb)} MiB, ${r.kafkaConnections} Kafka connections, ${r.consumers} consumers`,
      );
    }
    report.load[1] = load();
  } finally {
    await agent.close();
    await world?.close();
    await tp.cleanup().catch((err: unknown) => console.error('bench: push platform cleanup failed', err));
    await sink.close();
  }
  return report;
}
