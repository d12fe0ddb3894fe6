/**
 * A redrive's hand-off (decision 0026): the claimed dead letters are read back from the
 * dead-letter topic by position, checked (the event type still exists, the payload still opens)
 * and produced — acks=all, before the claims commit — to the redrive topic for the dispatchers.
 * A dead letter that fails a check is reported and left dead; one the producer refuses fails
 * the whole call, whose claims then roll back.
 */
import { type DataKeyRing, openEventPayload } from '@roomcast/core';
import { ACKS_ALL, decodeHeaders, type FetchedRecord, GrouplessReader, type Kafka, type Message, type Producer, redriveHeaders } from '@roomcast/kafka';
import type { ClaimWork, DeadLetterRow } from '@roomcast/log';
import { decodeWire } from '@roomcast/registry';
import type { RoutingIndex, SubscriptionRoute } from '@roomcast/routing';

export interface HandoffDeps {
  kafka: Kafka;
  producer: () => Promise<Producer>;
  deadLetterTopic: string;
  redriveTopic: string;
  dataKeys: DataKeyRing | undefined;
}

/** Why a dead letter cannot be redriven, or undefined when it can. */
export function redriveProblem(index: RoutingIndex, dataKeys: DataKeyRing | undefined, row: DeadLetterRow, rec: FetchedRecord | undefined): string | undefined {
  const room = index.roomById(row.room_id);
  if (!room) return 'room_gone';
  if (!index.eventType(room, row.event_type)) return 'event_type_gone';
  const headers = rec ? decodeHeaders(rec.headers) : undefined;
  const wire = rec?.value ? decodeWire(rec.value) : undefined;
  if (!rec || !headers || !wire || headers.id !== row.event_id) return 'record_gone';
  try {
    JSON.parse(openEventPayload(dataKeys, room, headers, wire.payload).toString('utf8'));
  } catch {
    return 'undecryptable';
  }
  return undefined;
}

/** The dead-letter records at the rows' positions (fewer when retention removed some). */
export async function readDeadLetters(kafka: Kafka, topic: string, rows: Pick<DeadLetterRow, 'kpartition' | 'koffset'>[]): Promise<Map<string, FetchedRecord>> {
  const found = new Map<string, FetchedRecord>();
  if (rows.length === 0) return found;
  const reader = await GrouplessReader.open(kafka, [topic]);
  try {
    for (const r of rows) {
      const k = `${r.kpartition}:${r.koffset}`;
      if (found.has(k)) continue;
      // One fetch brings the records after it too, which often holds the next ones asked for.
      const got = await reader.fetch([{ topic, partition: r.kpartition, offset: String(r.koffset) }], { maxWaitMs: 0, maxBytes: 1024 * 1024 });
      for (const rec of got.records) found.set(`${rec.partition}:${rec.offset}`, rec);
    }
  } finally {
    await reader.close().catch(() => {});
  }
  return found;
}

export async function handOff(d: HandoffDeps, index: RoutingIndex, sub: SubscriptionRoute, redriveId: string, ratePerSec: number, rows: DeadLetterRow[]): Promise<ClaimWork> {
  const records = await readDeadLetters(d.kafka, d.deadLetterTopic, rows);
  const work: ClaimWork = { claims: [], failures: [] };
  const messages: Message[] = [];
  for (const row of rows) {
    const key = { partition: row.kpartition, offset: String(row.koffset) };
    const rec = records.get(`${row.kpartition}:${row.koffset}`);
    const problem = redriveProblem(index, d.dataKeys, row, rec);
    if (problem || !rec) {
      work.failures.push({ key, reason: problem ?? 'record_gone' });
      continue;
    }
    const source = { topic: row.source_topic, partition: row.source_partition, offset: Number(row.source_offset) };
    // Keyed by subscription: one subscription's redrives share a partition, so one dispatcher paces them.
    messages.push({ key: sub.id, value: rec.value, headers: redriveHeaders(rec.headers, { subscriptionId: sub.id, redriveId, ratePerSec, source, key: rec.key ? rec.key.toString('utf8') : null }) });
    work.claims.push({ key, outcome: 'queued' });
  }
  if (messages.length > 0) {
    const producer = await d.producer();
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: d.redriveTopic, acks: ACKS_ALL, messages: messages.slice(i, i + 500) });
  }
  return work;
}
