/**
 * The log sink killed with SIGKILL while it writes: after a restart every record of the room
 * topic is in the log exactly once — counted by offsets against Kafka's high watermarks, no
 * gap, no duplicate — and the hash chains verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, logSigner, verifyLog } from '@roomcast/log';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let subscriber: Subscriber;
let sink: ServiceProcess | undefined;
const key = generateSigningKey();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sinkEnv(): Record<string, string> {
  const ep = infraEndpoints();
  return {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_LOG_LEVEL: 'error',
    ROOMCAST_DEV_MODE: 'true',
    ROOMCAST_LOG_DATABASE_URL: t.config.ROOMCAST_LOG_DATABASE_URL,
    ROOMCAST_LOG_SCHEMA: t.config.ROOMCAST_LOG_SCHEMA,
    ROOMCAST_LOG_SINK_SESSION_TIMEOUT_MS: '6000',
    ROOMCAST_LOG_SIGNING_KEY: key.privateKey,
    ROOMCAST_LOG_SIGNING_KEY_ID: 'crash-test',
    // Small transactions, so a kill lands between and inside them many times over.
    ROOMCAST_LOG_CHECKPOINT_EVERY: '50',
  };
}

beforeAll(async () => {
  t = await startTestPlatform('sinkcrash', { ROOMCAST_PLATFORM_LOG_SINK: 'false' });
  subscriber = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, subscriber.url);
  subscriber.setSecret(seeded.signingSecret);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sink?.kill('SIGKILL').catch(() => {});
  await subscriber?.close();
  await t?.cleanup();
});

async function eventRows(topic: string): Promise<{ partition: number; rows: number; distinct: number; min: number; max: number }[]> {
  const rows = await t.platform.log.store.query<{ kpartition: number; n: string; d: string; lo: string; hi: string }>(
    'SELECT kpartition, count(*) AS n, count(DISTINCT koffset) AS d, min(koffset) AS lo, max(koffset) AS hi FROM events WHERE topic = $1 GROUP BY kpartition ORDER BY kpartition',
    [topic],
  );
  return rows.map((r) => ({ partition: r.kpartition, rows: Number(r.n), distinct: Number(r.d), min: Number(r.lo), max: Number(r.hi) }));
}

describe('log sink crash', () => {
  it('leaves no gap and no duplicate after SIGKILL in the middle of writing', async () => {
    const call = caller(t.platform.url);
    const room = t.platform.routing.current().room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' });
    if (!room) throw new Error('demo room missing');
    const total = 8000;
    const publishBatch = async (b: number) => {
      const events = Array.from({ length: 500 }, (_, i) => ({ eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId: `crash-${b}-${i % 37}` } }));
      const res = await call('POST', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/batch`, { key: seeded.publisherKey, client: DEMO.publisherClient, body: { events } });
      expect(res.status).toBe(200);
    };
    const logged = async () => (await eventRows(room.topic)).reduce((n, p) => n + p.rows, 0);

    // The sink writes while events keep arriving; it is killed in the middle of that stream.
    sink = await startService('log-sink', sinkEnv(), 60_000);
    for (let b = 0; b < 4; b++) await publishBatch(b);
    for (let i = 0; (await logged()) === 0; i++) {
      if (i > 400) throw new Error(`the sink wrote nothing: ${sink.output()}`);
      await pause(25);
    }
    const killer = (async () => {
      await pause(30);
      await sink?.kill('SIGKILL');
    })();
    for (let b = 4; b < 8; b++) await publishBatch(b);
    await killer;
    const atKill = await logged();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total);
    for (let b = 8; b < 12; b++) await publishBatch(b);

    sink = await startService('log-sink', sinkEnv(), 60_000);
    for (let b = 12; b < 16; b++) await publishBatch(b);
    for (let i = 0; (await logged()) < total; i++) {
      if (i > 600) throw new Error(`only ${await logged()} of ${total} rows after the restart: ${sink.output()}`);
      await pause(100);
    }
    await pause(500); // a duplicate would land now
    const admin = t.platform.runtime.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(room.topic);
    await admin.disconnect();
    const parts = await eventRows(room.topic);
    for (const end of ends) {
      const p = parts.find((x) => x.partition === end.partition);
      const high = Number(end.high);
      if (high === 0) continue;
      // Every offset 0 … high-1 exactly once.
      expect(p).toEqual({ partition: end.partition, rows: high, distinct: high, min: 0, max: high - 1 });
    }
    expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(total);
    const report = await verifyLog(t.platform.log.store, { topics: [room.topic], publicKeys: logSigner('crash-test', key.privateKey).publicKeys() });
    expect(report.rows).toBe(total);
    expect(report.checkpoints).toBeGreaterThanOrEqual(total / 50 - ends.length);
    expect(report.breaks).toEqual([]);
  });
});
