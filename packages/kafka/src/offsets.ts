/**
 * Commits a consumer group's offsets directly with one OffsetCommit request to the group
 * coordinator, the way Kafka's own tooling does for a group without members (generation -1,
 * no member id). kafkajs's `admin.setOffsets` instead joins the group with a throwaway consumer
 * and waits for a fetch — seconds per topic. Used to start a subscription "from now".
 *
 * kafkajs exposes no public call for this, so the cluster is created through the client's
 * internal factory; the pinned kafkajs version and an integration test guard that coupling.
 */
import type { Kafka } from 'kafkajs';

export interface TopicOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

interface InternalBroker {
  offsetCommit(request: { groupId: string; groupGenerationId: number; memberId: string; retentionTime?: number; topics: TopicOffsets[] }): Promise<{
    responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
  }>;
}

interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<InternalBroker>;
}

/** kafkajs's internal cluster factory (see above); also used by the groupless reader (reader.ts). */
export function internalCluster<C = InternalCluster>(kafka: Kafka, options: Record<string, unknown> = {}): C {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof factory !== 'function') throw new Error('kafkajs internals changed: no cluster factory (pin kafkajs or update packages/kafka/src/offsets.ts)');
  return (factory as (o: Record<string, unknown>) => C)(options);
}

/** Error raised when the group still has members, so a direct commit is refused. */
export class GroupNotEmptyError extends Error {}

// Kafka error codes a member-less commit gets while the group still has live members.
const GROUP_BUSY = new Set([22 /* ILLEGAL_GENERATION */, 25 /* UNKNOWN_MEMBER_ID */, 27 /* REBALANCE_IN_PROGRESS */]);

// Kafka error codes that pass: the coordinator is loading, moving or not elected yet (a fresh
// broker creates __consumer_offsets on first use). The commit is retried with the coordinator found again.
const COORDINATOR_BUSY = new Set([14 /* COORDINATOR_LOAD_IN_PROGRESS */, 15 /* COORDINATOR_NOT_AVAILABLE */, 16 /* NOT_COORDINATOR */]);
const COORDINATOR_BUSY_TYPES = new Set(['COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP']);

class CoordinatorBusyError extends Error {}

export async function commitGroupOffsets(kafka: Kafka, groupId: string, topics: TopicOffsets[], deadlineMs = 30_000): Promise<void> {
  const cluster = internalCluster(kafka);
  await cluster.connect();
  const until = Date.now() + deadlineMs;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await commitOnce(cluster, groupId, topics);
        return;
      } catch (err) {
        if (!(err instanceof CoordinatorBusyError) || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  } finally {
    await cluster.disconnect().catch(() => {});
  }
}

async function commitOnce(cluster: InternalCluster, groupId: string, topics: TopicOffsets[]): Promise<void> {
  try {
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    const res = await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue;
        if (GROUP_BUSY.has(p.errorCode)) throw new GroupNotEmptyError(`group ${groupId} has active members`);
        if (COORDINATOR_BUSY.has(p.errorCode)) throw new CoordinatorBusyError(`group coordinator of ${groupId} not ready (Kafka error ${p.errorCode})`);
        throw new Error(`offset commit for ${t.topic}/${p.partition} failed with Kafka error ${p.errorCode}`);
      }
    }
  } catch (err) {
    if (err instanceof GroupNotEmptyError || err instanceof CoordinatorBusyError) throw err;
    const type = (err as { type?: string }).type ?? '';
    if (type === 'ILLEGAL_GENERATION' || type === 'UNKNOWN_MEMBER_ID' || type === 'REBALANCE_IN_PROGRESS') {
      throw new GroupNotEmptyError(`group ${groupId} has active members`);
    }
    if (COORDINATOR_BUSY_TYPES.has(type)) throw new CoordinatorBusyError(`group coordinator of ${groupId} not ready (${type})`);
    throw err;
  }
}
