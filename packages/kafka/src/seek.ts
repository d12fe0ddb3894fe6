/**
 * Seeking a consumer group (subscription replay, decision 0027): where a position — the earliest
 * retained record, the first record at or after a time, or the end — lies in each partition of
 * some topics, how many records the group would read from there, and moving the group to it.
 *
 * The move is a member-less commit (offsets.ts), which Kafka refuses while the group has members;
 * `groupMembers` lets a caller refuse earlier with a clear answer. Record times are Kafka's record
 * timestamps (the producer's create time: when ingress produced the event).
 */
import type { Kafka } from 'kafkajs';
import { commitGroupOffsets, type TopicOffsets } from './offsets.ts';

export type SeekPosition = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; ms: number };

export interface PartitionSeek {
  topic: string;
  partition: number;
  /** The group's committed offset (the next record it reads), null when it has none. */
  committed: string | null;
  /** The offset the group is moved to. */
  target: string;
  /** One past the last record (the high watermark). */
  end: string;
  /** Records from the target to the end: what the group reads again (or for the first time). */
  records: number;
  /** Records between the committed offset and a target ahead of it: never read by the group. */
  skipped: number;
}

type Admin = ReturnType<Kafka['admin']>;

/** How many members the group has; 0 for an empty or unknown group. */
export async function groupMembers(admin: Admin, groupId: string): Promise<number> {
  const [group] = (await admin.describeGroups([groupId])).groups;
  if (!group || group.state === 'Empty' || group.state === 'Dead') return 0;
  return Math.max(1, group.members.length);
}

/** The seek of every partition of `topics` to `position`, read from the brokers; changes nothing. */
export async function planSeek(admin: Admin, groupId: string, topics: string[], position: SeekPosition): Promise<PartitionSeek[]> {
  const committed = new Map<string, string>();
  for (const t of await admin.fetchOffsets({ groupId, topics })) {
    for (const p of t.partitions) if (BigInt(p.offset) >= 0n) committed.set(`${t.topic}|${p.partition}`, p.offset);
  }
  const plan: PartitionSeek[] = [];
  for (const topic of topics) {
    const bounds = await admin.fetchTopicOffsets(topic);
    const atTime = position.kind === 'time' ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, position.ms)).map((p) => [p.partition, p.offset])) : undefined;
    for (const b of [...bounds].sort((x, y) => x.partition - y.partition)) {
      const current = committed.get(`${topic}|${b.partition}`);
      plan.push({ topic, partition: b.partition, committed: current ?? null, ...partitionSeek(position, b, atTime?.get(b.partition), current) });
    }
  }
  return plan;
}

/** Commits the plan's targets for the group (refused with GroupNotEmptyError while it has members). */
export async function applySeek(kafka: Kafka, groupId: string, plan: PartitionSeek[]): Promise<void> {
  const byTopic = new Map<string, TopicOffsets>();
  for (const p of plan) {
    const t = byTopic.get(p.topic) ?? { topic: p.topic, partitions: [] };
    t.partitions.push({ partition: p.partition, offset: p.target });
    byTopic.set(p.topic, t);
  }
  if (byTopic.size > 0) await commitGroupOffsets(kafka, groupId, [...byTopic.values()]);
}

/**
 * One partition's target and counts: `bounds` are its first retained offset and high watermark,
 * `atTime` the broker's offset for the position's time, `committed` the group's offset (if any).
 */
export function partitionSeek(
  position: SeekPosition,
  bounds: { low: string; high: string },
  atTime: string | undefined,
  committed: string | undefined,
): Pick<PartitionSeek, 'target' | 'end' | 'records' | 'skipped'> {
  const low = BigInt(bounds.low);
  const end = BigInt(bounds.high);
  // The broker answers -1 (or the end) when no record is that recent.
  const timed = atTime === undefined || BigInt(atTime) < 0n ? end : BigInt(atTime);
  const target = position.kind === 'earliest' ? low : position.kind === 'latest' ? end : clamp(timed, low, end);
  // A committed offset below the retained records reads from the first one retained.
  const from = committed === undefined ? undefined : clamp(BigInt(committed), low, end);
  return { target: String(target), end: String(end), records: Number(end - target), skipped: from !== undefined && target > from ? Number(target - from) : 0 };
}

function clamp(v: bigint, low: bigint, high: bigint): bigint {
  return v < low ? low : v > high ? high : v;
}
