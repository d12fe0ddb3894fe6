/**
 * Kafka client comparison (issue 14 item 6): kafkajs, as packages/kafka configures it, against
 * @platformatic/kafka, on the same broker in the same run.
 *
 * Producer: a bare idempotent producer with acks=all sending batches of 1, 16, 64 and 256 records
 * of ~540 bytes with a key (Confluent wire framing + the event headers, as a publish writes) to a
 * fresh 3-partition topic, closed loop with 1 and 16 sends in flight, 1 s warm-up then 5 s
 * measured: records/s and p50/p99 per send. Both clients keep one produce request in flight per
 * broker when idempotent (kafkajs requires maxInFlightRequests 1; @platformatic/kafka forces
 * maxInflights 1), so 16 in flight means 16 callers queued on the client.
 *
 * Consumer: each client reads N preloaded records from the beginning of a topic in a fresh group
 * (no commits): records/s from the first record to the last; @platformatic/kafka a second time
 * with larger per-partition fetches.
 *
 *   bash scripts/node.sh node scripts/bench/kafka-clients.ts
 *
 * Env: ROOMCAST_KAFKA_BROKERS (default 127.0.0.1:19092), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (1),
 * BENCH_CONSUME_RECORDS (200000), BENCH_CONSUME_ORDER (`reverse`: the @platformatic/kafka consumers read first). Every topic it creates is deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Consumer as PltConsumer, Producer as PltProducer, ProduceAcks } from '@platformatic/kafka';
import { createLogger } from '@roomcast/core';
import { ACKS_ALL, createDurableProducer, createKafka, deleteTopics, ensureTopics } from '@roomcast/kafka';
import { encodeWire } from '@roomcast/registry';
import { benchEventHeaders } from './producer.ts';

const BROKERS = (process.env.ROOMCAST_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const CONSUME_RECORDS = Number(process.env.BENCH_CONSUME_RECORDS ?? 200_000);
const BATCH_SIZES = [1, 16, 64, 256];
const IN_FLIGHT = [1, 16];
const RECORD_BYTES = 540;
const KEYS = 64;

const logger = createLogger({ level: 'error' });
const kafka = createKafka({ brokers: BROKERS, clientId: 'roomcast-bench-clients', logger });
const run = randomUUID().slice(0, 8);
const topics: string[] = [];

// One record as a publish writes it: key = the event's motherId, value = wire header + JSON,
// the event headers; the JSON is padded so that key + value + headers come to ~540 bytes.
const headers = benchEventHeaders();
const headerBuffers: Record<string, Buffer> = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(String(v))]));
// @platformatic/kafka's default (no-op) serialisers need Buffer header names: with a plain object
// (string names) its send() neither resolves nor rejects, so it gets a Map of Buffers.
const headerMap = new Map(Object.entries(headerBuffers).map(([k, v]) => [Buffer.from(k), v]));
const headerBytes = Object.entries(headerBuffers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + v.length, 0);
const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(`mother-${String(i).padStart(4, '0')}`));
const event = { dateTime: '2026-11-22T10:25:00+02:00', gender: 'F', motherId: 'mother-0042', place: 'City Hospital', weight: 3200, note: '' };
const baseValue = encodeWire(1, Buffer.from(JSON.stringify(event)));
event.note = 'x'.repeat(Math.max(0, RECORD_BYTES - headerBytes - (keys[0] as Buffer).length - baseValue.length));
const value = encodeWire(1, Buffer.from(JSON.stringify(event)));
const recordBytes = headerBytes + (keys[0] as Buffer).length + value.length;

interface Rec {
  key: Buffer;
  value: Buffer;
}
let keyCursor = 0;
function records(n: number): Rec[] {
  return Array.from({ length: n }, () => ({ key: keys[keyCursor++ % KEYS] as Buffer, value }));
}

/** Sends one batch and resolves once the broker acknowledged it with acks=all. */
type Send = (batch: Rec[]) => Promise<unknown>;
interface ClientUnderTest {
  name: string;
  producer(topic: string): Promise<{ send: Send; close(): Promise<void> }>;
  consume(topic: string, n: number): Promise<number>;
}

const kafkajsClient: ClientUnderTest = {
  name: 'kafkajs',
  async producer(topic) {
    const producer = createDurableProducer(kafka);
    await producer.connect();
    return {
      send: (batch) => producer.send({ topic, acks: ACKS_ALL, messages: batch.map((r) => ({ key: r.key, value: r.value, headers: headerBuffers })) }),
      close: () => producer.disconnect(),
    };
  },
  async consume(topic, n) {
    const consumer = kafka.consumer({ groupId: `bench-clients-${run}-kafkajs`, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let first = 0;
    const elapsed = await new Promise<number>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (seen === 0) first = performance.now();
            seen += batch.messages.length;
            if (seen >= n) resolve(performance.now() - first);
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return (seen / elapsed) * 1000;
  },
};

/** `consumerOptions`: extra Consumer options (fetch sizing); the producer is the same for every variant. */
function platformatic(name: string, consumerOptions: { maxBytesPerPartition?: number; maxWaitTime?: number } = {}): ClientUnderTest {
  return {
    name,
    async producer(topic) {
      const producer = new PltProducer({ clientId: 'roomcast-bench-clients', bootstrapBrokers: BROKERS, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false });
      return {
        send: (batch) => producer.send({ messages: batch.map((r) => ({ topic, key: r.key, value: r.value, headers: headerMap })) }),
        close: () => producer.close(),
      };
    },
    async consume(topic, n) {
      const consumer = new PltConsumer({ clientId: 'roomcast-bench-clients', bootstrapBrokers: BROKERS, groupId: `bench-clients-${run}-${name.replace(/[^a-z0-9]+/gi, '-')}`, autocommit: false, ...consumerOptions });
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
      let seen = 0;
      let first = 0;
      const elapsed = await new Promise<number>((resolve, reject) => {
        stream.on('error', reject);
        stream.on('data', () => {
          if (seen === 0) first = performance.now();
          seen += 1;
          if (seen === n) resolve(performance.now() - first);
        });
      });
      await stream.close();
      await consumer.close();
      return (seen / elapsed) * 1000;
    },
  };
}

const platformaticClient = platformatic('@platformatic/kafka');
/** Consumer only: larger fetches per partition and a short fetch wait (the defaults are 50 MiB per fetch, none per partition, 5 s). */
const platformaticTuned = platformatic('@platformatic/kafka (maxBytesPerPartition 10 MiB, maxWaitTime 100 ms)', { maxBytesPerPartition: 10 * 1024 * 1024, maxWaitTime: 100 });

const CLIENTS = [kafkajsClient, platformaticClient];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface ProduceRow {
  client: string;
  batch: number;
  inFlight: number;
  recordsPerSec: number;
  sendsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  /** Sends that failed (not counted in records/s). */
  errors: number;
}

async function measureProduce(client: ClientUnderTest, topic: string, batch: number, inFlight: number): Promise<ProduceRow> {
  const p = await client.producer(topic);
  try {
    const start = performance.now();
    const measureFrom = start + WARMUP_SECONDS * 1000;
    const end = measureFrom + SECONDS * 1000;
    const latencies: number[] = [];
    let sent = 0;
    let errors = 0;
    const worker = async () => {
      for (;;) {
        const t0 = performance.now();
        if (t0 >= end) return;
        try {
          await p.send(records(batch));
        } catch (err) {
          errors += 1;
          if (errors === 1) console.error(`  ${client.name}: send failed: ${(err as Error).message}`);
          continue;
        }
        const t1 = performance.now();
        if (t0 >= measureFrom && t1 <= end) {
          latencies.push(t1 - t0);
          sent += batch;
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    latencies.sort((a, b) => a - b);
    return {
      client: client.name,
      batch,
      inFlight,
      recordsPerSec: sent / SECONDS,
      sendsPerSec: latencies.length / SECONDS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      errors,
    };
  } finally {
    await p.close();
  }
}

/** Writes `n` records quickly (not measured): 500 records per send, 8 sends in flight. */
async function preload(topic: string, n: number): Promise<void> {
  const producer = new PltProducer({ clientId: 'roomcast-bench-preload', bootstrapBrokers: BROKERS, acks: ProduceAcks.ALL, autocreateTopics: false });
  try {
    let left = n;
    const worker = async () => {
      while (left > 0) {
        const size = Math.min(500, left);
        left -= size;
        await producer.send({ messages: records(size).map((r) => ({ topic, key: r.key, value: r.value, headers: headerMap })) });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    await producer.close();
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  console.error(`kafka-clients: brokers ${BROKERS.join(',')}, record ${recordBytes} B (key+value+headers), ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per cell`);
  // A fresh topic per cell, so no client writes behind another's data. All are created up front
  // and given a few seconds: right after creation the broker still answers produce requests with
  // NOT_LEADER_FOR_PARTITION for a moment even though metadata already names a leader.
  const topicOf = (client: ClientUnderTest, batch: number, inFlight: number) => `bench.kclients.${run}.p.${client === kafkajsClient ? 'kjs' : 'plt'}.${batch}.${inFlight}`;
  const consumeTopic = `bench.kclients.${run}.consume`;
  for (const batch of BATCH_SIZES) for (const inFlight of IN_FLIGHT) for (const client of CLIENTS) topics.push(topicOf(client, batch, inFlight));
  topics.push(consumeTopic);
  await ensureTopics(
    kafka,
    topics.map((topic) => ({ topic, partitions: 3 })),
  );
  await new Promise((r) => setTimeout(r, 5000));
  const rows: ProduceRow[] = [];
  for (const batch of BATCH_SIZES) {
    for (const inFlight of IN_FLIGHT) {
      for (const client of CLIENTS) {
        const topic = topicOf(client, batch, inFlight);
        const row = await measureProduce(client, topic, batch, inFlight);
        console.error(`  ${row.client} batch ${batch} in flight ${inFlight}: ${fmt(row.recordsPerSec)} records/s, p50 ${fmt(row.p50, 1)} ms, p99 ${fmt(row.p99, 1)} ms, max ${fmt(row.max, 1)} ms, ${row.errors} failed sends`);
        rows.push(row);
      }
    }
  }

  console.error(`  preloading ${CONSUME_RECORDS} records…`);
  await preload(consumeTopic, CONSUME_RECORDS);
  const consumed: { client: string; recordsPerSec: number }[] = [];
  // BENCH_CONSUME_ORDER=reverse reads with @platformatic/kafka first (to see whether order matters).
  // The tuned variant shows how much of the gap is fetch sizing.
  const consumers = [...CLIENTS, platformaticTuned];
  for (const client of process.env.BENCH_CONSUME_ORDER === 'reverse' ? consumers.reverse() : consumers) {
    const recordsPerSec = await client.consume(consumeTopic, CONSUME_RECORDS);
    console.error(`  ${client.name} consume: ${fmt(recordsPerSec)} records/s`);
    consumed.push({ client: client.name, recordsPerSec });
  }

  const out: string[] = [];
  out.push(`Kafka clients — kafkajs ${version('kafkajs')} vs @platformatic/kafka ${version('@platformatic/kafka')}, Node ${process.versions.node}, record ${recordBytes} B, 3 partitions`);
  out.push('');
  out.push('Producer (idempotent, acks=all, closed loop):');
  out.push('');
  out.push('| batch | in flight | kafkajs records/s | kafkajs p50 / p99 ms | @platformatic/kafka records/s | @platformatic/kafka p50 / p99 ms | ratio | failed sends (kafkajs / platformatic) |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const batch of BATCH_SIZES) {
    for (const inFlight of IN_FLIGHT) {
      const k = rows.find((r) => r.client === kafkajsClient.name && r.batch === batch && r.inFlight === inFlight) as ProduceRow;
      const p = rows.find((r) => r.client === platformaticClient.name && r.batch === batch && r.inFlight === inFlight) as ProduceRow;
      out.push(
        `| ${batch} | ${inFlight} | ${fmt(k.recordsPerSec)} | ${fmt(k.p50, 1)} / ${fmt(k.p99, 1)} | ${fmt(p.recordsPerSec)} | ${fmt(p.p50, 1)} / ${fmt(p.p99, 1)} | ${fmt(p.recordsPerSec / k.recordsPerSec, 2)}× | ${k.errors} / ${p.errors} |`,
      );
    }
  }
  out.push('');
  out.push(`Consumer (fresh group, from the beginning, ${fmt(CONSUME_RECORDS)} records, first to last record):`);
  out.push('');
  out.push('| client | records/s |');
  out.push('|---|---:|');
  for (const c of consumed) out.push(`| ${c.client} | ${fmt(c.recordsPerSec)} |`);
  console.log(out.join('\n'));
}

try {
  await main();
} finally {
  await deleteTopics(kafka, topics);
}
