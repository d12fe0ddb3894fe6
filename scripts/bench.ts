/**
 * `npm run bench`: measures the publish path and the HTTP layer against baselines taken in the
 * same run on the same machine, and prints them as ratios (design targets: publish ≥ 50 % of a
 * bare producer, HTTP layer costs ≤ 20 % vs bare Hono). Sections control, http and publish are
 * closed loops; throughput and soak use an open loop (fixed arrival rate, latency from the
 * scheduled send time). All load goes to 127.0.0.1 only; every loop is bounded in time and
 * count. See docs/benchmarks.md.
 */
import { createLogger } from '@roomcast/core';
import { Pool } from 'undici';
import { type PostSpec, postOp, startBareHono } from './bench/http.ts';
import { benchControlPlane } from './bench/control-plane.ts';
import { closedLoop, type LoopResult } from './bench/loop.ts';
import { startTestPlatform } from '../test/support/platform.ts';
import { startBareProducer } from './bench/producer.ts';
import { startBareGateway } from './bench/gateway.ts';
import { benchPush, type PushReport } from './bench/push.ts';
import { pushTables } from './bench/push-report.ts';
import { machine, type Row, table } from './bench/report.ts';
import { soak } from './bench/soak.ts';
import { benchThroughput, type ThroughputRow, throughputTable } from './bench/throughput.ts';
import { benchPull, type PullRow, pullTable } from './bench/pull.ts';
import { benchLog, type LogReport, logTable } from './bench/log.ts';
import { infraEndpoints, infraUp } from './infra/index.ts';
import { DEMO, publish, seedDemo } from './lib/demo.ts';
import { startSubscriber } from './lib/subscriber.ts';

const LEVELS = [1, 16, 64];
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? '5') * 1000;
const WARMUP_MS = 1000;
const MAX_OPS = 2_000_000;
/** How long to let the dispatcher drain pushes between publish levels, so one level's deliveries do not load the next. */
const DRAIN_MS = 15_000;
/** Sections to run (comma list of control, http, publish, throughput, push, pull, log, soak); all but soak by default. */
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'control,http,publish,throughput,push,pull,log').split(',').map((x) => x.trim()));
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? '600');
const SOAK_RATE = Number(process.env.BENCH_SOAK_RATE ?? '500');
/** Events pulled and acked by the `pull` section, and its concurrent pullers. */
const PULL_EVENTS = Number(process.env.BENCH_PULL_EVENTS ?? '20000');
const PULL_CONCURRENCY = Number(process.env.BENCH_PULL_CONCURRENCY ?? '4');
/** Publishes per id kind in the `log` section (Redis bytes per event, sink lag), and seeded rows for its search figures. */
const LOG_EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? '200000');
const LOG_SEARCH_ROWS = Number(process.env.BENCH_LOG_SEARCH_ROWS ?? '1000000');
const LOG_OPEN_SECONDS = Number(process.env.BENCH_LOG_OPEN_SECONDS ?? '120');

const run = (concurrency: number, op: () => Promise<boolean>): Promise<LoopResult> =>
  closedLoop({ concurrency, warmupMs: WARMUP_MS, durationMs: DURATION_MS, maxOps: MAX_OPS, op });

function counted(op: () => Promise<boolean>, counter: { n: number }): () => Promise<boolean> {
  return async () => {
    const ok = await op();
    if (ok) counter.n++;
    return ok;
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function progress(scenario: string, r: LoopResult): void {
  console.error(`  ${scenario} c=${r.concurrency}: ${r.perSecond.toFixed(0)}/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}`);
}

async function main(): Promise<void> {
  const info = machine();
  console.log(info.join('\n'));
  console.error('bench: infrastructure…');
  await infraUp({ components: ['postgres', 'redis', 'kafka', 'registry'], quiet: true });
  const logger = createLogger({ level: 'error' });

  const subscriber = await startSubscriber();
  // BENCH_LOG_SINK=false: the same platform without the in-process log sink (to see what the sink costs the publish path).
  const tp = await startTestPlatform('bench', process.env.BENCH_LOG_SINK === 'false' ? { ROOMCAST_PLATFORM_LOG_SINK: 'false' } : {});
  const bare = await startBareHono();
  const producer = await startBareProducer({
    brokers: infraEndpoints().kafkaBrokers,
    topic: `bench_baseline_${Date.now().toString(36)}`,
    event: DEMO.sampleEvent,
    key: DEMO.sampleEvent.motherId,
    logger,
  });
  // The publish path minus auth, contract, validation, limits and idempotency, batching as the ingress does.
  const gateway = await startBareGateway({
    brokers: infraEndpoints().kafkaBrokers,
    topic: `bench_gateway_${Date.now().toString(36)}`,
    batching: {
      lingerMs: tp.config.ROOMCAST_PUBLISH_LINGER_MS,
      maxBatchRecords: tp.config.ROOMCAST_PUBLISH_BATCH_MAX_RECORDS,
      maxBatchBytes: tp.config.ROOMCAST_PUBLISH_BATCH_MAX_BYTES,
      maxQueuedRecords: tp.config.ROOMCAST_PUBLISH_QUEUE_MAX_RECORDS,
      maxQueuedBytes: tp.config.ROOMCAST_PUBLISH_QUEUE_MAX_BYTES,
    },
    logger,
  });
  const gatewayPool = new Pool(gateway.url, { connections: Math.max(...LEVELS) });
  const platformPool = new Pool(tp.platform.url, { connections: Math.max(...LEVELS) });
  const barePool = new Pool(bare.url, { connections: Math.max(...LEVELS) });
  // Open-loop sections: enough connections that the client does not cap concurrency first.
  const openPool = new Pool(tp.platform.url, { connections: 256 });
  const rows: Row[] = [];
  try {
    const seeded = await seedDemo(tp.platform.url, tp.adminKey, subscriber.url);
    subscriber.setSecret(seeded.signingSecret);
    const ready = await until(async () => (await publish(tp.platform.url, seeded.publisherKey, DEMO.sampleEvent)).status === 201, 20_000);
    if (!ready) throw new Error('the seeded platform did not accept a publish within 20 s');

    const headers = { authorization: `Bearer ${seeded.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': DEMO.publisherClient };
    const body = JSON.stringify({ eventType: DEMO.eventType, event: DEMO.sampleEvent });
    const publishSpec: PostSpec = { path: `${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, headers, body, expectStatus: 201 };
    // Rejected after auth, client header and room lookup, before the body is read or Kafka is touched.
    const rejectSpec: PostSpec = { path: `${DEMO.roomPath}/pub/v1/noSuchType`, headers, body, expectStatus: 404 };
    const bareSpec: PostSpec = { path: '/bare', headers, body, expectStatus: 200 };
    const gatewaySpec: PostSpec = { path: '/gw', headers, body, expectStatus: 201 };

    if (SECTIONS.has('control')) {
      console.error('bench: routing changes (control plane → data plane)…');
      for (const row of await benchControlPlane(tp, seeded, DURATION_MS)) {
        progress(row.scenario, row.result);
        rows.push(row);
      }
    }

    // HTTP layer first, while the dispatcher has nothing to deliver.
    if (SECTIONS.has('http')) console.error('bench: HTTP layer (bare Hono vs platform early 404)…');
    for (const c of SECTIONS.has('http') ? LEVELS : []) {
      const b = await run(c, postOp(barePool, bareSpec));
      progress('bare-hono', b);
      const p = await run(c, postOp(platformPool, rejectSpec));
      progress('platform-404', p);
      rows.push({ scenario: 'bare-hono', result: b }, { scenario: 'platform-http-404', result: p, ratio: { label: 'vs bare-hono', value: p.perSecond / b.perSecond } });
    }

    if (SECTIONS.has('publish')) console.error('bench: publish path vs bare producer…');
    const published = { n: 1 };
    for (const c of SECTIONS.has('publish') ? LEVELS : []) {
      const g = await run(c, postOp(gatewayPool, gatewaySpec));
      progress('bare-gateway', g);
      rows.push({ scenario: 'bare-gateway', result: g });
      const k = await run(c, () => producer.send());
      progress('bare-producer', k);
      const p = await run(c, counted(postOp(platformPool, publishSpec), published));
      progress('publish', p);
      rows.push({ scenario: 'bare-producer', result: k }, { scenario: 'publish', result: p, ratio: { label: 'vs bare-gateway', value: p.perSecond / g.perSecond }, more: [{ label: 'vs bare-producer', value: p.perSecond / k.perSecond }] });
      const drained = await until(() => subscriber.received.length >= published.n, DRAIN_MS);
      console.error(`  pushes delivered ${subscriber.received.length}/${published.n}${drained ? '' : ` (not drained within ${DRAIN_MS / 1000} s)`}`);
    }

    // The same publishes with the in-process dispatcher stopped: separates the publish path's
    // own cost from the push deliveries that share this process's CPU.
    await tp.platform.dispatcher.stop();
    if (SECTIONS.has('publish')) console.error('bench: publish path with the dispatcher stopped…');
    for (const c of SECTIONS.has('publish') ? LEVELS : []) {
      const base = rows.find((r) => r.scenario === 'bare-producer' && r.result.concurrency === c)?.result;
      const gw = rows.find((r) => r.scenario === 'bare-gateway' && r.result.concurrency === c)?.result;
      const p = await run(c, postOp(platformPool, publishSpec));
      progress('publish-no-dispatch', p);
      rows.push({
        scenario: 'publish-no-dispatch',
        result: p,
        ...(gw ? { ratio: { label: 'vs bare-gateway', value: p.perSecond / gw.perSecond } } : {}),
        ...(base ? { more: [{ label: 'vs bare-producer', value: p.perSecond / base.perSecond }] } : {}),
      });
    }

    const throughput: ThroughputRow[] = [];
    if (SECTIONS.has('throughput')) {
      console.error('bench: throughput — batched baseline, open-loop single publish, batches through the pipeline (dispatcher stopped)…');
      throughput.push(
        ...(await benchThroughput({
          tp,
          publishSpec,
          producer,
          durationMs: DURATION_MS,
          ingressEnv: {
            ROOMCAST_KAFKA_BROKERS: infraEndpoints().kafkaBrokers.join(','),
            ROOMCAST_REGISTRY_URL: infraEndpoints().registryUrl,
            ROOMCAST_REDIS_URL: infraEndpoints().redisUrl,
            ROOMCAST_NAME_PREFIX: tp.prefix,
            ROOMCAST_LOG_LEVEL: 'error',
          },
          progress: (line) => console.error(`  ${line}`),
        })),
      );
    }
    const pulled: PullRow[] = [];
    if (SECTIONS.has('pull')) {
      console.error('bench: pull — pull-and-ack in batches of 100 vs a bare consumer on the same topic…');
      pulled.push(...(await benchPull({ tp, seeded, events: PULL_EVENTS, concurrency: PULL_CONCURRENCY, progress: (line) => console.error(`  ${line}`) })));
    }
    let pushed: PushReport | null = null;
    if (SECTIONS.has('push')) {
      console.error('bench: push delivery — bare undici baseline, backlog throughput, open-loop end-to-end latency, fan-out (own platform)…');
      pushed = await benchPush((line) => console.error(`  ${line}`));
    }
    let logged: LogReport | null = null;
    if (SECTIONS.has('log')) {
      console.error(`bench: message log — Redis per event and sink lag over ${LOG_EVENTS} publishes per id kind, sink drain vs bare insert, search over ${LOG_SEARCH_ROWS} seeded rows (own platform)…`);
      const lp = await startTestPlatform('benchlog');
      try {
        const ls = await seedDemo(lp.platform.url, lp.adminKey, subscriber.url);
        await lp.platform.routing.waitFor(ls.generation);
        logged = await benchLog({ tp: lp, seeded: ls, events: LOG_EVENTS, searchRows: LOG_SEARCH_ROWS, openSeconds: LOG_OPEN_SECONDS, progress: (line) => console.error(`  ${line}`) });
      } finally {
        await lp.cleanup().catch((err: unknown) => console.error('bench: log platform cleanup failed', err));
      }
    }
    const soaked = SECTIONS.has('soak')
      ? await soak({ seconds: SOAK_SECONDS, rate: SOAK_RATE, op: postOp(openPool, publishSpec), progress: (line) => console.error(`  ${line}`) })
      : null;

    console.log('');
    if (rows.length > 0) console.log(table(rows));
    if (throughput.length > 0) console.log(`\n${throughputTable(throughput)}`);
    if (pushed) console.log(`\n${pushTables(pushed)}`);
    if (pulled.length > 0) console.log(`\n${pullTable(pulled)}`);
    if (logged) console.log(`\n${logTable(logged)}`);
    if (soaked) console.log(`\n${soaked.summary.join('\n')}`);
    console.log('');
    if (SECTIONS.has('publish')) console.log(`pushes delivered to the local sink by the end: ${subscriber.received.length} of ${published.n} accepted publishes`);
  } finally {
    await Promise.allSettled([platformPool.close(), barePool.close(), openPool.close(), gatewayPool.close()]);
    await gateway.close().catch((err: unknown) => console.error('bench: gateway topic cleanup failed', err));
    await producer.close().catch((err: unknown) => console.error('bench: baseline topic cleanup failed', err));
    await tp.cleanup().catch((err: unknown) => console.error('bench: platform cleanup failed', err));
    await bare.close();
    await subscriber.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
