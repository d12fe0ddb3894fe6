/**
 * Pull throughput for `npm run bench` (section `pull`), in one run on the same topic:
 *
 * - `bare-consumer`: a plain kafkajs consumer (new group, from the beginning, eachBatch counting
 *   records) reading N records of the room topic — the ceiling for reading them at all.
 * - `pull-ack-100`: a fresh PULL subscription; N events published (batch route) before the clock
 *   starts; pullers lease batches of up to 100 over HTTP and ack each batch, until all N were
 *   acked. Covers the feeder (Kafka → Redis, bounded buffer), leases, EventItem rendering and acks.
 *
 * Both are timed from their first record to their Nth, so group joins are not counted.
 */
import type { SeededDemo } from '../lib/demo.ts';
import { DEMO } from '../lib/demo.ts';
import type { TestPlatform } from '../../test/support/platform.ts';

export interface PullRow {
  scenario: string;
  concurrency: number;
  events: number;
  seconds: number;
  perSecond: number;
  ratio?: string;
}

async function api(base: string, key: string, method: string, path: string, body?: unknown, client?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  if (client) headers['x-govstack-client'] = client;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** A new application of the subscriber member with an approved PULL subscription to the demo type. */
async function pullSubscriber(tp: TestPlatform): Promise<{ key: string; client: string }> {
  const base = tp.platform.url;
  const reg = await tp.platform.controlPlane.service.deps.db.member.findFirstOrThrow({ where: { memberCode: DEMO.subscriberMember.memberCode } });
  const app = await api(base, tp.adminKey, 'POST', `/api/admin/v1/members/${reg.id}/applications`, { code: 'bench-puller' });
  const client = `${reg.instance}/${reg.memberClass}/${reg.memberCode}/bench-puller`;
  const key = String(app.apiKey);
  const sub = await api(base, key, 'POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { eventType: DEMO.eventType, delivery: 'PULL' }, client);
  const approved = await api(base, tp.adminKey, 'POST', `/api/admin/v1/subscriptions/${String(sub.id)}/approve`);
  await tp.platform.routing.waitFor(Number(approved.generation));
  return { key, client };
}

async function bareConsumer(tp: TestPlatform, n: number): Promise<number> {
  const { kafka, names } = tp.platform.runtime;
  const consumer = kafka.consumer({ groupId: `${tp.prefix}.bench-bare-${Date.now()}` });
  let seen = 0;
  let first = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.connect().then(async () => {
      await consumer.subscribe({ topic: names.roomTopic({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: DEMO.room }), fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (seen === 0) first = performance.now();
          seen += batch.messages.length;
          if (seen >= n && last === 0) {
            last = performance.now();
            resolve();
          }
        },
      });
    });
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 120_000))]);
  await consumer.disconnect();
  if (last === 0) throw new Error(`bare consumer saw ${seen} of ${n} records`);
  return (last - first) / 1000;
}

async function pullAndAck(base: string, who: { key: string; client: string }, n: number, concurrency: number): Promise<number> {
  const path = `${DEMO.roomPath}/pull/v1/${DEMO.eventType}`;
  let acked = 0;
  let first = 0;
  const deadline = Date.now() + 300_000;
  const loop = async () => {
    while (acked < n && Date.now() < deadline) {
      const { items } = (await api(base, who.key, 'POST', `${path}/lease`, { max: 100, waitSeconds: 1 }, who.client)) as { items: { receipt: string }[] };
      if (items.length === 0) continue;
      if (first === 0) first = performance.now();
      const r = await api(base, who.key, 'POST', `${path}/ack`, { receipts: items.map((i) => i.receipt) }, who.client);
      acked += Number(r.acked);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  if (acked < n) throw new Error(`pull acked ${acked} of ${n} events`);
  return (performance.now() - first) / 1000;
}

export async function benchPull(o: { tp: TestPlatform; seeded: SeededDemo; events: number; concurrency: number; progress(line: string): void }): Promise<PullRow[]> {
  const who = await pullSubscriber(o.tp);
  const base = o.tp.platform.url;
  o.progress(`publishing ${o.events} events (batch route)…`);
  for (let done = 0; done < o.events; done += 500) {
    const events = Array.from({ length: Math.min(500, o.events - done) }, (_, i) => ({ eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId: `bench-${done + i}` } }));
    await api(base, o.seeded.publisherKey, 'POST', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/batch`, { events }, DEMO.publisherClient);
  }
  const bare = await bareConsumer(o.tp, o.events);
  const bareRate = o.events / bare;
  o.progress(`bare-consumer: ${bareRate.toFixed(0)} records/s`);
  const pulled = await pullAndAck(base, who, o.events, o.concurrency);
  const pullRate = o.events / pulled;
  o.progress(`pull-ack-100 c=${o.concurrency}: ${pullRate.toFixed(0)} events/s`);
  return [
    { scenario: 'bare-consumer', concurrency: 1, events: o.events, seconds: bare, perSecond: bareRate },
    { scenario: 'pull-ack-100', concurrency: o.concurrency, events: o.events, seconds: pulled, perSecond: pullRate, ratio: `${((pullRate / bareRate) * 100).toFixed(1)} % of bare-consumer` },
  ];
}

export function pullTable(rows: PullRow[]): string {
  const head = '| scenario | conc | events | seconds | events/s | ratio |\n| --- | --- | --- | --- | --- | --- |';
  return [head, ...rows.map((r) => `| ${r.scenario} | ${r.concurrency} | ${r.events} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${r.ratio ?? ''} |`)].join('\n');
}
