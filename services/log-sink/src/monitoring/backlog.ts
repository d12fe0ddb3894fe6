/**
 * The current backlog of a page of subscriptions, from Kafka and the pull queues in Redis:
 *
 *   per subscription   one OffsetFetch of its consumer group (both lanes of its room)
 *   per room topic     one ListOffsets (end and start), shared by the page's subscriptions
 *   per subscription   one Fetch of its lagging partitions at their committed offsets, whose
 *                      first records' timestamps give the oldest undelivered event's age
 *   pull               one MULTI of counters on its queue (PullStore.stats)
 *
 * Every Kafka call of the page runs against one deadline: a subscription not read in time
 * answers `complete: false` rather than holding the caller up, so the cost of one call stays
 * bounded whatever the number of subscriptions (the route pages over them).
 */
import { GrouplessReader, type Kafka, type PartitionPosition } from '@roomcast/kafka';
import type { PullStore, QueueStats } from '@roomcast/pull';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';

/** How long a pull queue's counters may still take once the budget is spent (Redis answers in milliseconds). */
const REDIS_GRACE_MS = 200;

const queueOf = (s: QueueStats) => ({ depth: s.depth, ready: s.ready, leased: s.leased, delayed: s.delayed });

/** Kafka admin calls the backlog needs (kafkajs `Admin`). */
export interface BacklogAdmin {
  fetchTopicOffsets(topic: string): Promise<{ partition: number; offset: string; high: string; low: string }[]>;
  fetchOffsets(o: { groupId: string; topics: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

export interface PartitionBacklog {
  lane: 'normal' | 'urgent';
  partition: number;
  /** Next offset the group will deliver (the committed offset; the start of the partition when none). */
  committed: string;
  end: string;
  lag: number;
}

export interface SubscriptionBacklog {
  lag: number | null;
  partitions: PartitionBacklog[];
  queue: { depth: number; ready: number; leased: number; delayed: number } | null;
  oldestUndeliveredAt: string | null;
  complete: boolean;
}

/**
 * Records between the group's position and the end of a partition. No committed offset (-1)
 * counts from the partition's start (the group's consumers start there); a position that
 * retention has passed counts from the start too.
 */
export function partitionLag(end: string, committed: string, low: string): { position: string; lag: number } {
  const hi = BigInt(end);
  const lo = BigInt(low);
  let at = BigInt(committed);
  if (at < lo) at = lo;
  return { position: at.toString(), lag: Number(hi > at ? hi - at : 0n) };
}

/** Rejects after `ms`; the work itself is left to finish in the background (its answer is dropped). */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (ms <= 0) {
      // Dropped, but never an unhandled rejection.
      work.catch(() => {});
      return reject(new Error('backlog time budget spent'));
    }
    const timer = setTimeout(() => reject(new Error('backlog time budget spent')), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export interface BacklogPageOptions {
  kafka: Kafka;
  admin: BacklogAdmin;
  pull: PullStore;
  rooms: Map<string, RoomRoute>;
  deadline: number;
  /** How many subscriptions are read at once. */
  concurrency: number;
  now?: () => number;
}

/** The backlog of each subscription of a page, in the page's order. */
export async function readBacklogPage(subs: readonly SubscriptionRoute[], o: BacklogPageOptions): Promise<SubscriptionBacklog[]> {
  const ends = new Map<string, Promise<Map<number, { high: string; low: string }>>>();
  const endsOf = (topic: string) => {
    let p = ends.get(topic);
    if (!p) {
      p = o.admin.fetchTopicOffsets(topic).then((rows) => new Map(rows.map((r) => [r.partition, { high: r.high, low: r.low }])));
      p.catch(() => {});
      ends.set(topic, p);
    }
    return p;
  };
  const topics = [...new Set(subs.flatMap((s) => { const r = o.rooms.get(s.roomId); return r ? [r.urgentTopic, r.topic] : []; }))];
  const left = () => o.deadline - Date.now();
  // Opened on first need (only a lagging push subscription, or an empty queue behind, needs it).
  let opened: Promise<GrouplessReader | undefined> | undefined;
  const reader = () => {
    opened ??= (() => {
      const opening = GrouplessReader.open(o.kafka, topics);
      return withDeadline(opening, left()).catch(() => {
        // Opened too late (or not at all): close it whenever it does open.
        opening.then((r) => r.close()).catch(() => {});
        return undefined;
      });
    })();
    return opened;
  };
  const out: SubscriptionBacklog[] = new Array(subs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < subs.length; i = next++) {
      const sub = subs[i] as SubscriptionRoute;
      // Redis answers apart from Kafka: a pull queue's counts survive a Kafka that does not.
      const stats = sub.mode === 'PULL' ? o.pull.stats(sub.id).catch(() => undefined) : Promise.resolve(undefined);
      out[i] = await withDeadline(one(sub, stats), left()).catch(async () => {
        const s = await withDeadline(stats, Math.max(left(), REDIS_GRACE_MS)).catch(() => undefined);
        return { lag: null, partitions: [], queue: s ? queueOf(s) : null, oldestUndeliveredAt: s?.oldestMs === undefined ? null : new Date(s.oldestMs).toISOString(), complete: false };
      });
    }
  };

  async function one(sub: SubscriptionRoute, queueStats: Promise<QueueStats | undefined>): Promise<SubscriptionBacklog> {
    const room = o.rooms.get(sub.roomId);
    if (!room) return { lag: null, partitions: [], queue: null, oldestUndeliveredAt: null, complete: false };
    const [committed, normal, urgent, stats] = await Promise.all([
      o.admin.fetchOffsets({ groupId: sub.group, topics: [room.urgentTopic, room.topic] }),
      endsOf(room.topic),
      endsOf(room.urgentTopic),
      queueStats,
    ]);
    const partitions: PartitionBacklog[] = [];
    const behind: PartitionPosition[] = [];
    for (const t of committed) {
      const lane = t.topic === room.urgentTopic ? 'urgent' : 'normal';
      const endOf = lane === 'urgent' ? urgent : normal;
      for (const p of t.partitions) {
        const e = endOf.get(p.partition);
        if (!e) continue;
        const { position, lag } = partitionLag(e.high, p.offset, e.low);
        partitions.push({ lane, partition: p.partition, committed: position, end: e.high, lag });
        if (lag > 0) behind.push({ topic: t.topic, partition: p.partition, offset: position });
      }
    }
    partitions.sort((a, b) => (a.lane === b.lane ? a.partition - b.partition : a.lane === 'urgent' ? -1 : 1));
    const lag = partitions.reduce((n, p) => n + p.lag, 0);
    let oldest: number | undefined = stats?.oldestMs;
    let complete = true;
    if (oldest === undefined && behind.length > 0) {
      const r = await reader();
      if (!r) complete = false;
      else {
        const { records } = await r.fetch(behind, { maxWaitMs: 50, maxBytes: 256 * 1024 });
        for (const r of records) {
          const t = Number(r.timestamp);
          if (Number.isFinite(t) && (oldest === undefined || t < oldest)) oldest = t;
        }
        if (records.length === 0) complete = false;
      }
    }
    return {
      lag,
      partitions,
      queue: stats ? queueOf(stats) : null,
      oldestUndeliveredAt: oldest === undefined ? null : new Date(oldest).toISOString(),
      complete,
    };
  }

  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, subs.length) }, worker));
  } finally {
    if (opened) await (await opened)?.close().catch(() => {});
  }
  return out;
}
