/**
 * Broker faults on the three-node cluster, under steady publishing and push delivery, counted
 * the way a ledger would (test/support/ledger.ts): the publishers keep every acknowledged id per
 * key in order, the subscriber's accepted deliveries are set against it.
 *
 * 1. SIGKILL the broker leading the room topic's partition 0: the leader moves, publishing goes
 *    on (publishes caught in the election may answer 503 — never acknowledged, so not owed),
 *    nothing acknowledged is lost, first deliveries keep per-key order; the broker returns.
 * 2. SIGKILL two brokers: with min.insync.replicas 2 and acks=all no publish started after the
 *    kill is acknowledged (503, not a 201 that one copy holds); they return, publishing resumes,
 *    and every acknowledged event is delivered.
 * The figures (acknowledged, 503s, lost, duplicates, order violations, recovery) are printed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidFile } from '../../scripts/infra/component.ts';
import { CLUSTER_BROKERS, CLUSTER_NODES, clusterNode, clusterUp } from '../../scripts/infra/kafka-cluster.ts';
import { ownedPid } from '../../scripts/infra/proc.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { PublishLedger, reconcile } from '../support/ledger.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const KEYS = 12;

let t: TestPlatform;
let seeded: SeededDemo;
let sink: Subscriber;
let roomTopic: string;

const quiet = () => {};

/** Publishers, one per key, each waiting for its answer before the next event of its key. */
function startPublishing(ledger: PublishLedger, tag: string) {
  let stopping = false;
  /** Start and answer times of every publish, for the outage and recovery checks. */
  const answers: Array<{ started: number; at: number; status: number }> = [];
  const workers = Array.from({ length: KEYS }, async (_, k) => {
    const key = `${tag}-k${k}`;
    while (!stopping) {
      const started = Date.now();
      const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: key }).catch(() => ({ status: 0, body: {} as Record<string, unknown> }));
      ledger.answered(res.status, key, res.status === 201 ? String(res.body.id) : undefined);
      answers.push({ started, at: Date.now(), status: res.status });
      await sleep(res.status === 201 ? 25 : 200);
    }
  });
  return {
    answers,
    async stop() {
      stopping = true;
      await Promise.all(workers);
    },
  };
}

async function partitionLeader(partition: number): Promise<number> {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [roomTopic] });
    return topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every partition of the room topic has a leader other than `not` and (with `full`) all three replicas in sync. */
async function waitForPartitions(o: { not?: number; full?: boolean }, timeoutMs = 120_000): Promise<number> {
  const t0 = Date.now();
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    for (;;) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [roomTopic] }).catch(() => ({ topics: [] as Array<{ partitions: Array<{ leader: number; isr: number[] }> }> }));
      const parts = topics[0]?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.leader >= 0 && p.leader !== o.not && (!o.full || p.isr.length === CLUSTER_NODES.length))) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`room topic partitions not ready after ${timeoutMs} ms: ${JSON.stringify(parts)}`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}

function kill(id: number): void {
  const { component } = clusterNode(id);
  const pid = ownedPid(pidFile(component), component.marker);
  if (pid === undefined) throw new Error(`kafka-${id} is not running`);
  process.kill(pid, 'SIGKILL');
}

async function deliveredAll(ledger: PublishLedger, timeoutMs = 180_000) {
  const ids = new Set(ledger.ids());
  const ok = (s: number) => s >= 200 && s < 300;
  await sink
    .waitFor((rs) => {
      const done = new Set(rs.filter((r) => ok(r.status)).map((r) => String(r.json.id)));
      for (const id of ids) if (!done.has(id)) return false;
      return true;
    }, timeoutMs)
    .catch(() => undefined); // counted as lost below
  const prefix = [...ledger.acked.keys()][0]?.split('-')[0] ?? '';
  const deliveries = sink.received.filter((r) => ok(r.status) && String(r.json.key).startsWith(`${prefix}-`)).map((r) => ({ key: String(r.json.key), id: String(r.json.id) }));
  return reconcile(ledger.acked, deliveries);
}

beforeAll(async () => {
  t = await startTestPlatform('cluster', { ROOMCAST_KAFKA_BROKERS: CLUSTER_BROKERS.join(',') });
  sink = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sink.url);
  sink.setSecret(seeded.signingSecret);
  const patched = await caller(t.platform.url)('PATCH', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, {
    key: seeded.subscriberKey,
    client: DEMO.subscriberClient,
    body: { options: { FIFO: true, maxInFlight: 16, retry: { maxAttempts: 100, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 } } },
  });
  expect(patched.status).toBe(201);
  await t.platform.routing.waitFor(Number(patched.body.generation ?? 0)).catch(() => {});
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    roomTopic = (await admin.listTopics()).find((n) => n.startsWith(`${t.prefix}.`) && n.includes('births') && !n.includes('urgent')) ?? '';
  } finally {
    await admin.disconnect();
  }
  expect(roomTopic).not.toBe('');
});

afterAll(async () => {
  // Whatever a failed test left down comes back for the next run.
  await clusterUp(quiet).catch(() => {});
  await sink?.close();
  await t?.cleanup();
});

describe('topics on the cluster', () => {
  it('are created with replication factor 3 and min.insync.replicas 2, internal topics too', async () => {
    const admin = t.platform.runtime.kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((n) => n.startsWith(`${t.prefix}.`));
      expect(topics.length).toBeGreaterThanOrEqual(3);
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      for (const m of meta) for (const p of m.partitions) expect(p.replicas, `${m.name}/${p.partitionId}`).toHaveLength(3);
      const configs = await admin.describeConfigs({ resources: topics.map((name) => ({ type: 2, name, configNames: ['min.insync.replicas'] })), includeSynonyms: false });
      for (const r of configs.resources) expect(r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue, r.resourceName).toBe('2');
      console.info(`cluster topics: ${topics.map((n) => n.slice(t.prefix.length + 1)).join(', ')} — RF 3, min ISR 2`);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('broker faults under steady publishing and push delivery', () => {
  it('SIGKILL of the partition leader: the leader moves, publishing goes on, nothing acknowledged is lost, per-key order holds', async () => {
    await waitForPartitions({ full: true });
    const ledger = new PublishLedger();
    const pub = startPublishing(ledger, 'lead');
    await sleep(4000);
    const leader = await partitionLeader(0);
    expect(leader).toBeGreaterThan(0);
    const killedAt = Date.now();
    kill(leader);
    const leaderMoveMs = await waitForPartitions({ not: leader }, 60_000);
    await sleep(6000);
    const restartAt = Date.now();
    await clusterUp(quiet, [leader]);
    const restartMs = Date.now() - restartAt;
    await sleep(3000);
    await pub.stop();

    const after = pub.answers.filter((a) => a.started > killedAt + leaderMoveMs + 1000);
    expect(after.filter((a) => a.status === 201).length).toBeGreaterThan(0);
    // The longest time no publish was acknowledged, around the kill.
    const acks = pub.answers.filter((a) => a.status === 201).map((a) => a.at).sort((a, b) => a - b);
    let stallMs = 0;
    for (let i = 1; i < acks.length; i++) if ((acks[i] ?? 0) > killedAt - 1000) stallMs = Math.max(stallMs, (acks[i] ?? 0) - (acks[i - 1] ?? 0));
    const other = [...ledger.answers].filter(([s]) => s !== 201 && s !== 503);
    expect(other).toEqual([]);

    const r = await deliveredAll(ledger);
    console.info(
      `leader kill (broker ${leader}): ${ledger.count(201)} publishes acknowledged, ${ledger.count(503)} answered 503; ` +
        `new leader in ${leaderMoveMs} ms, longest gap between acknowledgements ${stallMs} ms, broker back in ${restartMs} ms; ` +
        `delivered ${r.delivered}, lost ${r.lost}, duplicates ${r.duplicates}, order violations ${r.orderViolations}, unacknowledged delivered ${r.unacknowledgedDelivered}`,
    );
    expect(r.lost).toBe(0);
    expect(r.orderViolations).toBe(0);
  });

  it('two brokers down: publishes answer 503, never an acknowledgement one copy holds; all resumes when they return', async () => {
    await waitForPartitions({ full: true });
    const ledger = new PublishLedger();
    const pub = startPublishing(ledger, 'two');
    await sleep(3000);
    const leader = await partitionLeader(0);
    const victims = [leader, CLUSTER_NODES.map((n) => n.id).find((id) => id !== leader) ?? 0];
    const killedAt = Date.now();
    for (const id of victims) kill(id);
    await sleep(15_000);
    const restartAt = Date.now();
    await clusterUp(quiet, victims);
    const restartMs = Date.now() - restartAt;
    // Publishing resumes: wait for acknowledgements of publishes started after the restart.
    const resumeBy = Date.now() + 120_000;
    while (!pub.answers.some((a) => a.started > restartAt && a.status === 201) && Date.now() < resumeBy) await sleep(200);
    const firstAck = pub.answers.filter((a) => a.started > restartAt && a.status === 201).sort((a, b) => a.at - b.at)[0];
    await sleep(3000);
    await pub.stop();

    // Publishes that started once the two were gone (1 s for requests already in flight) until they came back.
    const during = pub.answers.filter((a) => a.started > killedAt + 1000 && a.at < restartAt);
    const duringAcked = during.filter((a) => a.status === 201).length;
    expect(during.length).toBeGreaterThan(0);
    expect(duringAcked).toBe(0);
    expect(during.every((a) => a.status === 503)).toBe(true);
    expect(firstAck).toBeDefined();

    const r = await deliveredAll(ledger);
    console.info(
      `two brokers down (${victims.join(', ')}) for ${restartAt - killedAt} ms: ${ledger.count(201)} publishes acknowledged, ${ledger.count(503)} answered 503 ` +
        `(${during.length} during the outage, ${duringAcked} acknowledged); brokers back in ${restartMs} ms, first acknowledgement ${firstAck ? firstAck.at - restartAt : '-'} ms after the restart began; ` +
        `delivered ${r.delivered}, lost ${r.lost}, duplicates ${r.duplicates}, order violations ${r.orderViolations}, unacknowledged delivered ${r.unacknowledgedDelivered}`,
    );
    expect(r.lost).toBe(0);
    expect(r.orderViolations).toBe(0);
  });
});
