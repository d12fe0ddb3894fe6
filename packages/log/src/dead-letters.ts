/**
 * The dead-letter index in the log database (decision 0026): the sink appends one row per
 * record of the dead-letter topic; the dead-letter routes list, count and claim them.
 *
 * A redrive or purge runs in one transaction holding the subscription's advisory lock: it picks
 * the unclaimed dead letters matching its filter, does its work (the redrive hands them to the
 * redrive topic) and inserts one claim per dead letter it took, then commits. Two calls over the
 * same set serialise on the lock, and the second finds nothing left; the claim's primary key
 * would refuse a second claim even without the lock. Work that fails rolls the claims back.
 */
import type pg from 'pg';
import { DEAD_LETTER_ORDER, type DeadLetterFilter, type DeadLetterKey, deadLetterWhere, type PagePosition } from './dead-letter-query.ts';
import type { LogStore } from './store.ts';

export interface DeadLetterEntry {
  topic: string;
  partition: number;
  offset: string;
  deadLetteredAt: Date;
  subscriptionId: string;
  roomId: string;
  mode: 'push' | 'pull';
  eventId: string;
  eventType: string;
  publisher: string;
  publishedAt: Date;
  classification: string;
  reason: string;
  detail: string | null;
  attempts: number | null;
  httpStatus: number | null;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
}

export interface DeadLetterRow {
  topic: string;
  kpartition: number;
  koffset: string;
  dead_lettered_at: Date;
  subscription_id: string;
  room_id: string;
  mode: string;
  event_id: string;
  event_type: string;
  publisher: string;
  published_at: Date;
  classification: string;
  reason: string;
  detail: string | null;
  attempts: number | null;
  http_status: number | null;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  /** First and last delivery attempt of the event for the subscription, from the delivery log. */
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
  claim_action: string | null;
  claim_outcome: string | null;
  claimed_by: string | null;
}

export interface OperationRow {
  id: string;
  subscription_id: string;
  action: string;
  actor: string;
  actor_role: string;
  request_id: string;
  filter: Record<string, unknown>;
  rate_per_sec: number | null;
  matched: number;
  claimed: number;
  failed: number;
  created_at: Date;
}

const COLUMNS =
  'topic text, kpartition int, koffset bigint, dead_lettered_at timestamptz, subscription_id text, room_id text, mode text, event_id uuid, event_type text, publisher text, published_at timestamptz, classification text, reason text, detail text, attempts int, http_status int, source_topic text, source_partition int, source_offset bigint';
const NAMES = COLUMNS.split(', ')
  .map((c) => c.split(' ')[0])
  .join(', ');

/** Appends dead letters; one already indexed (a batch read again) is skipped. Returns how many were new. */
export async function appendDeadLetters(store: LogStore, rows: DeadLetterEntry[]): Promise<number> {
  if (rows.length === 0) return 0;
  const json = rows.map((r) => ({
    topic: r.topic,
    kpartition: r.partition,
    koffset: r.offset,
    dead_lettered_at: r.deadLetteredAt.toISOString(),
    subscription_id: r.subscriptionId,
    room_id: r.roomId,
    mode: r.mode,
    event_id: r.eventId,
    event_type: r.eventType,
    publisher: r.publisher,
    published_at: r.publishedAt.toISOString(),
    classification: r.classification,
    reason: r.reason,
    detail: r.detail,
    attempts: r.attempts,
    http_status: r.httpStatus,
    source_topic: r.sourceTopic,
    source_partition: r.sourcePartition,
    source_offset: r.sourceOffset,
  }));
  const res = await store.pool.query(`INSERT INTO dead_letters (${NAMES}) SELECT ${NAMES} FROM jsonb_to_recordset($1::jsonb) AS x(${COLUMNS}) ON CONFLICT DO NOTHING`, [JSON.stringify(json)]);
  return res.rowCount ?? 0;
}

const SELECT = `SELECT dl.*, a.first_attempt_at, a.last_attempt_at, c.action AS claim_action, c.outcome AS claim_outcome, c.operation_id AS claimed_by
  FROM dead_letters dl
  LEFT JOIN dead_letter_claims c ON c.topic = dl.topic AND c.kpartition = dl.kpartition AND c.koffset = dl.koffset
  LEFT JOIN LATERAL (
    SELECT min(d.occurred_at) AS first_attempt_at, max(d.occurred_at) AS last_attempt_at FROM deliveries d
    WHERE d.event_id = dl.event_id AND d.subscription_id = dl.subscription_id AND d.outcome NOT IN ('dead-lettered', 'cancelled') AND d.occurred_at <= dl.dead_lettered_at
  ) a ON TRUE`;

/** One page of a subscription's dead letters, newest first. */
export async function listDeadLetters(store: LogStore, topic: string, subscriptionId: string, f: DeadLetterFilter, limit: number, after?: PagePosition): Promise<DeadLetterRow[]> {
  const params: unknown[] = [];
  const where = deadLetterWhere(topic, subscriptionId, f, params, after);
  params.push(limit);
  return store.query<DeadLetterRow>(`${SELECT} WHERE ${where} ORDER BY ${DEAD_LETTER_ORDER} LIMIT $${params.length}`, params);
}

export async function countDeadLetters(store: LogStore, topic: string, subscriptionId: string, f: DeadLetterFilter): Promise<number> {
  const params: unknown[] = [];
  const where = deadLetterWhere(topic, subscriptionId, f, params);
  const rows = await store.query<{ n: string }>(`SELECT count(*) AS n FROM dead_letters dl WHERE ${where}`, params);
  return Number(rows[0]?.n ?? 0);
}

export async function getDeadLetter(store: LogStore, topic: string, subscriptionId: string, key: DeadLetterKey): Promise<DeadLetterRow | undefined> {
  const rows = await listDeadLetters(store, topic, subscriptionId, { ids: [key], state: 'all' }, 1);
  return rows[0];
}

/** Whether an error is a claim that waited too long for another redrive or purge of the subscription. */
export function isClaimBusy(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '55P03';
}

/** What a redrive or purge does inside its transaction, with the candidates already picked. */
export interface ClaimWork {
  /** Claims to insert (outcome `queued` or `purged`) and per-event failures (not claimed: they stay dead). */
  claims: Array<{ key: DeadLetterKey; outcome: string }>;
  failures: Array<{ key: DeadLetterKey; reason: string }>;
}

export interface OperationInput {
  id: string;
  subscriptionId: string;
  action: 'redrive' | 'purge';
  actor: string;
  actorRole: string;
  requestId: string;
  filter: Record<string, unknown>;
  ratePerSec: number | null;
}

/**
 * Runs one redrive or purge under the subscription's lock: `work` gets the unclaimed dead
 * letters matching the filter (at most `limit`) and decides; its claims, failures and the
 * operation row commit together, or — if `work` throws — not at all.
 */
export async function claimDeadLetters(
  store: LogStore,
  topic: string,
  op: OperationInput,
  f: DeadLetterFilter,
  limit: number,
  work: (candidates: DeadLetterRow[]) => Promise<ClaimWork>,
): Promise<{ matched: number; claimed: number; failed: number }> {
  const client = await store.pool.connect();
  try {
    await client.query('BEGIN');
    // A call waits for another on the same subscription (its work reads and produces up to the
    // per-call bound), but not forever: past lock_timeout it fails with 55P03 and may retry.
    await client.query("SET LOCAL lock_timeout = '20s'");
    await client.query("SET LOCAL statement_timeout = '60s'");
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 26))', [`dead-letters:${op.subscriptionId}`]);
    const params: unknown[] = [];
    const where = deadLetterWhere(topic, op.subscriptionId, { ...f, state: 'dead' }, params);
    params.push(limit);
    const candidates = (await client.query<DeadLetterRow>(`${SELECT} WHERE ${where} ORDER BY dl.dead_lettered_at, dl.kpartition, dl.koffset LIMIT $${params.length}`, params)).rows;
    const done = await work(candidates);
    const claimed = await insertClaims(client, topic, op, done.claims);
    if (done.failures.length > 0) {
      await client.query(
        'INSERT INTO dead_letter_failures (operation_id, topic, kpartition, koffset, reason) SELECT $1, $2, p, o, r FROM unnest($3::int[], $4::bigint[], $5::text[]) AS x(p, o, r)',
        [op.id, topic, done.failures.map((x) => x.key.partition), done.failures.map((x) => x.key.offset), done.failures.map((x) => x.reason)],
      );
    }
    await client.query(
      'INSERT INTO dead_letter_operations (id, subscription_id, action, actor, actor_role, request_id, filter, rate_per_sec, matched, claimed, failed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
      [op.id, op.subscriptionId, op.action, op.actor, op.actorRole, op.requestId, JSON.stringify(op.filter), op.ratePerSec, candidates.length, claimed, done.failures.length],
    );
    await client.query('COMMIT');
    return { matched: candidates.length, claimed, failed: done.failures.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function insertClaims(client: pg.PoolClient, topic: string, op: OperationInput, claims: ClaimWork['claims']): Promise<number> {
  if (claims.length === 0) return 0;
  const res = await client.query(
    `INSERT INTO dead_letter_claims (topic, kpartition, koffset, operation_id, action, outcome)
     SELECT $1, p, o, $2, $3, r FROM unnest($4::int[], $5::bigint[], $6::text[]) AS x(p, o, r) ON CONFLICT DO NOTHING`,
    [topic, op.id, op.action, claims.map((c) => c.key.partition), claims.map((c) => c.key.offset), claims.map((c) => c.outcome)],
  );
  if ((res.rowCount ?? 0) !== claims.length) throw new Error('a dead letter was claimed twice');
  return claims.length;
}

export async function operationOf(store: LogStore, subscriptionId: string, id: string): Promise<OperationRow | undefined> {
  const rows = await store.query<OperationRow>('SELECT * FROM dead_letter_operations WHERE id = $1 AND subscription_id = $2', [id, subscriptionId]);
  return rows[0];
}

/** A subscription's redrives and purges, newest first; `before` is the last row of the previous page. */
export async function listOperations(store: LogStore, subscriptionId: string, limit: number, before?: { at: Date; id: string }): Promise<OperationRow[]> {
  return store.query<OperationRow>(
    `SELECT * FROM dead_letter_operations WHERE subscription_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [subscriptionId, before?.at ?? null, before?.id ?? '', limit],
  );
}

/**
 * Progress of a redrive: of the events it queued, how many the subscription has since had
 * delivered, and how many were dead-lettered again; the rest are still under way.
 */
export async function redriveProgress(store: LogStore, op: OperationRow): Promise<{ delivered: number; deadAgain: number }> {
  const rows = await store.query<{ delivered: string; dead_again: string }>(
    `WITH q AS (SELECT dl.event_id FROM dead_letter_claims c JOIN dead_letters dl ON dl.topic = c.topic AND dl.kpartition = c.kpartition AND dl.koffset = c.koffset WHERE c.operation_id = $1)
     SELECT
       (SELECT count(DISTINCT d.event_id) FROM deliveries d WHERE d.subscription_id = $2 AND d.outcome = 'delivered' AND d.logged_at >= $3 AND d.event_id IN (SELECT event_id FROM q)) AS delivered,
       (SELECT count(DISTINCT x.event_id) FROM dead_letters x WHERE x.subscription_id = $2 AND x.dead_lettered_at >= $3 AND x.event_id IN (SELECT event_id FROM q)) AS dead_again`,
    [op.id, op.subscription_id, op.created_at],
  );
  return { delivered: Number(rows[0]?.delivered ?? 0), deadAgain: Number(rows[0]?.dead_again ?? 0) };
}

export async function failuresOf(store: LogStore, operationId: string, limit: number): Promise<Array<{ kpartition: number; koffset: string; event_id: string | null; reason: string }>> {
  return store.query(
    `SELECT f.kpartition, f.koffset, dl.event_id, f.reason FROM dead_letter_failures f
     LEFT JOIN dead_letters dl ON dl.topic = f.topic AND dl.kpartition = f.kpartition AND dl.koffset = f.koffset
     WHERE f.operation_id = $1 ORDER BY f.kpartition, f.koffset LIMIT $2`,
    [operationId, limit],
  );
}
