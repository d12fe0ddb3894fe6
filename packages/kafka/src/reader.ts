/**
 * A groupless reader: fetches chosen partitions from chosen offsets with plain Fetch requests to
 * the partition leaders — no consumer group, no join, no rebalance, no committed offsets. Opening
 * one costs a metadata round trip (milliseconds), where a kafkajs consumer group join costs
 * seconds; the caller keeps its own positions (a live stream encodes them in its cursor).
 *
 * kafkajs exposes no assign()-style consumer, so this speaks through the client's internal
 * cluster (as offsets.ts does); the pinned kafkajs version and the stream integration tests
 * guard that coupling. Each reader has its own broker connections: a long-polling fetch holds
 * its connection, and a shared one would make every reader wait for the others.
 */
import type { IHeaders, Kafka } from 'kafkajs';
import { internalCluster } from './offsets.ts';

/** One partition of one topic and the offset of the next record to read there. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  /** Next offset to read (a decimal string, as Kafka offsets are 64-bit). */
  offset: string;
}

export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

export interface FetchResult {
  records: FetchedRecord[];
  /** The position after this fetch of every partition asked for (unchanged when nothing came). */
  positions: PartitionPosition[];
}

/** Where to start: the end of each partition, its start, or the first record at or after a time (ms). */
export type StartAt = 'latest' | 'earliest' | { timestamp: number };

interface RawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  timestamp: string;
  isControlRecord?: boolean;
}

interface InternalBroker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: { partition: number; messages: RawMessage[] }[] }[] }>;
}

interface ReaderCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(o: { nodeId: string }): Promise<InternalBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning?: boolean; fromTimestamp?: number }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

const READ_COMMITTED = 1;
/** Kafka error types after which fresh metadata (a moved leader, a new partition) may help. */
const STALE_METADATA = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'NOT_LEADER_OR_FOLLOWER']);

export const positionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class GrouplessReader {
  readonly #cluster: ReaderCluster;
  readonly #topics: string[];
  #closed = false;

  private constructor(cluster: ReaderCluster, topics: string[]) {
    this.#cluster = cluster;
    this.#topics = topics;
  }

  /** Connects and loads the topics' metadata; throws when a topic does not exist. */
  static async open(kafka: Kafka, topics: string[]): Promise<GrouplessReader> {
    const cluster = internalCluster<ReaderCluster>(kafka, { allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED });
    await cluster.connect();
    try {
      await cluster.addMultipleTargetTopics(topics);
    } catch (err) {
      await cluster.disconnect().catch(() => {});
      throw err;
    }
    return new GrouplessReader(cluster, topics);
  }

  /** Partition ids of a topic, ascending. */
  partitions(topic: string): number[] {
    return this.#cluster
      .findTopicPartitionMetadata(topic)
      .map((p) => p.partitionId)
      .sort((a, b) => a - b);
  }

  /** The offset to start at of every partition of the reader's topics. */
  async offsets(at: StartAt): Promise<PartitionPosition[]> {
    const ask = (fromBeginning: boolean, fromTimestamp?: number) =>
      this.#cluster.fetchTopicsOffset(
        this.#topics.map((topic) => ({
          topic,
          partitions: this.partitions(topic).map((partition) => ({ partition })),
          fromBeginning,
          ...(fromTimestamp !== undefined ? { fromTimestamp } : {}),
        })),
      );
    const flat = (r: Awaited<ReturnType<typeof ask>>) => r.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })));
    if (at === 'latest' || at === 'earliest') return flat(await ask(at === 'earliest'));
    // A partition with no record at or after the time answers -1: start at its end.
    const [byTime, latest] = await Promise.all([ask(false, at.timestamp), ask(false)]);
    const end = new Map(flat(latest).map((p) => [positionKey(p.topic, p.partition), p.offset]));
    return flat(byTime).map((p) => (p.offset === '-1' ? { ...p, offset: end.get(positionKey(p.topic, p.partition)) ?? '0' } : p));
  }

  /**
   * Moves positions back into each partition's retained range: a position before the first
   * retained record (deleted by retention) moves to it, one beyond the end moves to the end.
   * Returns the corrected positions and how many moved forward past deleted records.
   */
  async clamp(positions: PartitionPosition[]): Promise<{ positions: PartitionPosition[]; skippedForward: number }> {
    const [earliest, latest] = await Promise.all([this.offsets('earliest'), this.offsets('latest')]);
    const lo = new Map(earliest.map((p) => [positionKey(p.topic, p.partition), BigInt(p.offset)]));
    const hi = new Map(latest.map((p) => [positionKey(p.topic, p.partition), BigInt(p.offset)]));
    let skippedForward = 0;
    const out = positions.map((p) => {
      const k = positionKey(p.topic, p.partition);
      const at = BigInt(p.offset);
      const min = lo.get(k) ?? 0n;
      const max = hi.get(k) ?? at;
      if (at < min) {
        skippedForward++;
        return { ...p, offset: min.toString() };
      }
      return at > max ? { ...p, offset: max.toString() } : p;
    });
    return { positions: out, skippedForward };
  }

  /**
   * One fetch from every leader of the given partitions: answers as soon as a leader has a
   * record (or after `maxWaitMs`), with at most about `maxBytes` of records per leader.
   * Records come in offset order per partition; partitions listed first come first.
   */
  async fetch(positions: PartitionPosition[], o: { maxWaitMs: number; maxBytes: number }): Promise<FetchResult> {
    if (this.#closed) throw new Error('reader closed');
    const byLeader = new Map<string, PartitionPosition[]>();
    for (const p of positions) {
      const leaders = this.#cluster.findLeaderForPartitions(p.topic, [p.partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) {
        await this.#cluster.refreshMetadata();
        throw new Error(`no leader known for ${p.topic}/${p.partition}`);
      }
      byLeader.set(nodeId, [...(byLeader.get(nodeId) ?? []), p]);
    }
    const perPartition = Math.max(1024, Math.floor(o.maxBytes / Math.max(1, positions.length)));
    const next = new Map(positions.map((p) => [positionKey(p.topic, p.partition), p.offset]));
    const got = new Map<string, FetchedRecord[]>();
    try {
      await Promise.all(
        [...byLeader].map(async ([nodeId, list]) => {
          const broker = await this.#cluster.findBroker({ nodeId });
          const topics = [...new Set(list.map((p) => p.topic))].map((topic) => ({
            topic,
            partitions: list.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, fetchOffset: p.offset, maxBytes: perPartition })),
          }));
          const { responses } = await broker.fetch({ isolationLevel: READ_COMMITTED, maxWaitTime: o.maxWaitMs, minBytes: 1, maxBytes: o.maxBytes, topics });
          for (const t of responses) {
            for (const part of t.partitions) {
              const k = positionKey(t.topicName, part.partition);
              const from = BigInt(next.get(k) ?? '0');
              let after = from;
              const records: FetchedRecord[] = [];
              for (const m of part.messages) {
                const offset = BigInt(m.offset);
                // A fetch answers whole record batches: skip what lies before the position.
                if (offset < from) continue;
                if (offset + 1n > after) after = offset + 1n;
                if (m.isControlRecord) continue;
                records.push({ topic: t.topicName, partition: part.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {}, timestamp: m.timestamp });
              }
              next.set(k, after.toString());
              got.set(k, records);
            }
          }
        }),
      );
    } catch (err) {
      if (STALE_METADATA.has((err as { type?: string }).type ?? '')) await this.#cluster.refreshMetadata().catch(() => {});
      throw err;
    }
    return {
      records: positions.flatMap((p) => got.get(positionKey(p.topic, p.partition)) ?? []),
      positions: positions.map((p) => ({ ...p, offset: next.get(positionKey(p.topic, p.partition)) ?? p.offset })),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#cluster.disconnect().catch(() => {});
  }
}

/** Whether an error is Kafka's "offset out of range" (a position deleted by retention). */
export function isOffsetOutOfRange(err: unknown): boolean {
  const e = err as { type?: string; name?: string };
  return e?.type === 'OFFSET_OUT_OF_RANGE' || e?.name === 'KafkaJSOffsetOutOfRange';
}
