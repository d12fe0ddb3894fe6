/**
 * Replay / seek of one subscription (decision 0027): while it is PAUSED, its consumer group is
 * moved to the earliest retained record, to the first record at or after a time, or to the end of
 * both room lanes; the owner then resumes it and delivery restarts from there. A dry run answers
 * what would be read and moves nothing.
 *
 *   PAUSED ──dry run──▶ PAUSED (plan only)
 *   PAUSED ──replay──▶ group empty? ──no──▶ 409 consumers_active (retry)
 *                           └─yes──▶ commit targets ──▶ clear the pull queue ──▶ PAUSED (moved)
 *
 * Only this subscription's group and queue change; other subscriptions of the room have their own.
 * The pull queue is cleared after the commit: entries queued (or finished, awaiting commit) before
 * the move would otherwise be handed out first or make the feeder skip records it reads again.
 */
import { type Logger, RoomcastError } from '@roomcast/core';
import { applySeek, GroupNotEmptyError, groupMembers, type Kafka, type KafkaNames, type PartitionSeek, planSeek, type SeekPosition } from '@roomcast/kafka';
import { dropPullQueue, type Redis, type RedisKeys } from '@roomcast/redis';
import type { RoomLookup } from '../rooms/room-lookup.ts';
import type { SubscriptionRow } from './subscriptions.ts';

export interface ReplayRequest {
  /** `earliest`, `latest`, or an RFC 3339 time not in the future. */
  from: string;
  dryRun?: boolean;
}

export interface ReplayPartition {
  lane: 'normal' | 'urgent';
  partition: number;
  committedOffset: string | null;
  targetOffset: string;
  endOffset: string;
  records: number;
  skipped: number;
}

export interface ReplayAnswer {
  subscriptionId: string;
  dryRun: boolean;
  from: string;
  /** Records of the room's lanes from the target to the end (all event types, before filtering). */
  records: number;
  /** Records between the current place and a target ahead of it, which the subscription will not read. */
  skipped: number;
  partitions: ReplayPartition[];
}

/** The seek position a request names, or the field errors that refuse it. */
export function replayPosition(from: string, nowMs: number): SeekPosition {
  if (from === 'earliest' || from === 'latest') return { kind: from };
  const ms = Date.parse(from);
  if (!Number.isFinite(ms)) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/from', message: 'must be "earliest", "latest" or an RFC 3339 date-time' }] });
  if (ms > nowMs) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/from', message: 'must not be in the future' }] });
  return { kind: 'time', ms };
}

export interface ReplayDeps {
  kafka: Kafka;
  names: KafkaNames;
  lookup: RoomLookup;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
}

export class SubscriptionReplay {
  readonly #d: ReplayDeps;

  constructor(deps: ReplayDeps) {
    this.#d = deps;
  }

  async replay(sub: SubscriptionRow, req: ReplayRequest, nowMs: number = Date.now()): Promise<ReplayAnswer> {
    const position = replayPosition(req.from, nowMs);
    if (sub.status !== 'PAUSED') throw new RoomcastError('subscription.not_paused', { detail: `The subscription is ${sub.status}; pause it, replay, then resume it` });
    const dryRun = req.dryRun === true;
    const { kafka, names, lookup } = this.#d;
    const group = names.subscriptionGroup(sub.id);
    const lanes = lookup.topicsOf(sub.room);
    const admin = kafka.admin();
    let plan: PartitionSeek[];
    try {
      await admin.connect();
      // A dispatcher or feeder that has not yet seen the pause still holds the group.
      if (!dryRun && (await groupMembers(admin, group)) > 0) throw consumersActive();
      plan = await planSeek(admin, group, [lanes.topic, lanes.urgentTopic], position);
      if (!dryRun) await applySeek(kafka, group, plan);
    } catch (err) {
      if (err instanceof RoomcastError) throw err;
      if (err instanceof GroupNotEmptyError) throw consumersActive();
      throw new RoomcastError('dependency.unavailable', { detail: 'Kafka is unavailable; nothing was moved', cause: err });
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (!dryRun) await this.#clearQueue(sub.id);
    const partitions = plan.map((p) => ({
      lane: p.topic === lanes.urgentTopic ? ('urgent' as const) : ('normal' as const),
      partition: p.partition,
      committedOffset: p.committed,
      targetOffset: p.target,
      endOffset: p.end,
      records: p.records,
      skipped: p.skipped,
    }));
    const sum = (k: 'records' | 'skipped') => partitions.reduce((n, p) => n + p[k], 0);
    if (!dryRun) this.#d.logger.info('subscription replayed', { subscriptionId: sub.id, from: req.from, records: sum('records'), skipped: sum('skipped') });
    return { subscriptionId: sub.id, dryRun, from: req.from, records: sum('records'), skipped: sum('skipped'), partitions };
  }

  async #clearQueue(id: string): Promise<void> {
    try {
      await dropPullQueue(this.#d.redis, this.#d.keys, id);
    } catch (err) {
      // The offsets moved; a queue left as it was could hand out old entries or skip re-read ones.
      throw new RoomcastError('dependency.unavailable', { detail: 'The offsets moved but the pull queue was not cleared (Redis is unavailable); replay again before resuming', cause: err });
    }
  }
}

function consumersActive(): RoomcastError {
  return new RoomcastError('subscription.consumers_active', { detail: 'The subscription’s consumers are still leaving its consumer group; retry in a few seconds' });
}
