/**
 * The one module that speaks to the log database (PostgreSQL, `pg`). The sink appends through
 * `LogStore.append`; the status route, search, reports, proofs and `verify` read through it.
 *
 * Connections run as the log role (`roomcast_log`: SELECT and INSERT on the log tables, UPDATE on
 * the sink's `heads` bookkeeping only) with `search_path` set to the log schema. Migrations run
 * as the schema's owner (`migrateLog`).
 */
import { fileURLToPath } from 'node:url';
import { migrate, SCHEMA_NAME_RE } from '@roomcast/db/migrate';
import pg from 'pg';
import { chainHash, canonical, contentHash, DELIVERY_FIELDS, type DeliveryEntry, deliveryValues, EVENT_FIELDS, type EventEntry, eventValues, genesisHash, type LogKind, streamOf } from './entry.ts';
import { type ProofBundle, proofBundle } from './proof.ts';
import type { Checkpoint, LogSigner } from './signing.ts';

export const LOG_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

// pg returns bigint as string already; timestamps as Date.
export function migrateLog(adminUrl: string, schema: string) {
  return migrate({ databaseUrl: adminUrl, schema, dir: LOG_MIGRATIONS_DIR });
}

export interface AppendBatch {
  kind: LogKind;
  topic: string;
  partition: number;
  /** Offset of the last record of the batch (a row or a skipped record). */
  lastOffset: string;
  rows: EventEntry[] | DeliveryEntry[];
}

export interface CheckpointPolicy {
  signer: LogSigner;
  /** A checkpoint after this many rows of a stream… */
  every: number;
  /** …or once the oldest unsigned row is this old. */
  intervalMs: number;
}

export interface AppendResult {
  written: number;
  /** Rows already in the log (a batch read again after a crash). */
  skipped: number;
  /** Checkpoints signed in this transaction. */
  checkpoints: number;
}

export interface EventRow {
  logged_at: Date;
  topic: string;
  kpartition: number;
  koffset: string;
  event_id: string;
  room_id: string;
  event_type: string;
  publisher: string;
  published_at: Date;
  urgent: boolean;
  key_sha256: Buffer | null;
  payload_sha256: Buffer;
  size: number;
  classification: string;
  priority: string;
  schema_id: number;
  traceparent: string | null;
  schema_version: number | null;
  prev_hash: Buffer;
  entry_hash: Buffer;
}

export interface DeliveryRow {
  logged_at: Date;
  topic: string;
  kpartition: number;
  koffset: string;
  event_id: string;
  room_id: string;
  event_type: string;
  subscription_id: string;
  subscriber: string;
  mode: string;
  attempt: number;
  outcome: string;
  state: string;
  http_status: number | null;
  error_class: string | null;
  duration_us: string | null;
  next_attempt_at: Date | null;
  occurred_at: Date;
  published_at: Date | null;
  prev_hash: Buffer;
  entry_hash: Buffer;
}

export interface CheckpointRow {
  stream: string;
  koffset: string;
  entry_hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: Buffer;
}

const EVENT_COLUMNS = 'logged_at, topic, kpartition, koffset, event_id, room_id, event_type, publisher, published_at, urgent, key_sha256, payload_sha256, size, classification, priority, schema_id, traceparent, schema_version, prev_hash, entry_hash';
const EVENT_TYPES = 'timestamptz[], text[], int[], bigint[], uuid[], text[], text[], text[], timestamptz[], bool[], bytea[], bytea[], int[], text[], text[], int[], text[], int[], bytea[], bytea[]';
const DELIVERY_COLUMNS = 'logged_at, topic, kpartition, koffset, event_id, room_id, event_type, subscription_id, subscriber, mode, attempt, outcome, state, http_status, error_class, duration_us, next_attempt_at, occurred_at, published_at, prev_hash, entry_hash';
const DELIVERY_TYPES = 'timestamptz[], text[], int[], bigint[], uuid[], text[], text[], text[], text[], text[], int[], text[], text[], int[], text[], bigint[], timestamptz[], timestamptz[], timestamptz[], bytea[], bytea[]';

function unnestInsert(table: string, columns: string, types: string): string {
  const params = types.split(', ').map((t, i) => `$${i + 1}::${t}`);
  return `INSERT INTO ${table} (${columns}) SELECT * FROM unnest(${params.join(', ')}) ON CONFLICT DO NOTHING`;
}
const INSERT_EVENTS = unnestInsert('events', EVENT_COLUMNS, EVENT_TYPES);
const INSERT_DELIVERIES = unnestInsert('deliveries', DELIVERY_COLUMNS, DELIVERY_TYPES);

/** Column-wise arrays of rows (for unnest). */
function columns(rows: unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => []);
  for (const r of rows) for (let i = 0; i < width; i++) out[i]?.push(r[i]);
  return out;
}

export interface LogStoreOptions {
  /** URL of the log database, as the log role. */
  url: string;
  schema: string;
  maxConnections?: number;
  /** Longest statement (a wide search or report is cut off, not left to hog the database). */
  statementTimeoutMs?: number;
}

export class LogStore {
  readonly pool: pg.Pool;
  readonly schema: string;

  constructor(o: LogStoreOptions) {
    if (!SCHEMA_NAME_RE.test(o.schema)) throw new Error(`invalid log schema name: ${o.schema}`);
    this.schema = o.schema;
    this.pool = new pg.Pool({ connectionString: o.url, max: o.maxConnections ?? 8, options: `-c search_path=${o.schema} -c statement_timeout=${o.statementTimeoutMs ?? 10_000}`, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (a restarted server) must not crash the process.
    this.pool.on('error', () => {});
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async probe(): Promise<void> {
    await this.pool.query('SELECT 1 FROM heads LIMIT 1');
  }

  /** Day partitions from yesterday to `daysAhead` days ahead (the sink calls it at start and daily). */
  async ensurePartitions(daysAhead = 3): Promise<number> {
    const r = await this.pool.query<{ made: number }>('SELECT ensure_partitions(current_date - 1, $1) AS made', [daysAhead + 2]);
    return r.rows[0]?.made ?? 0;
  }

  /**
   * Appends one batch of one stream in one transaction: rows at or below the stream's head
   * (already written by an earlier attempt) are skipped, the rest are chained from the head,
   * inserted, and the head moves — together, so a crash leaves either all or none of it.
   */
  async append(batch: AppendBatch, policy: CheckpointPolicy): Promise<AppendResult> {
    const stream = streamOf(batch.topic, batch.partition);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Creates the head on first use and locks it either way, in one round trip.
      const head = (
        await client.query<{ koffset: string; row_koffset: string; entry_hash: Buffer; since_checkpoint: number; checkpoint_at: Date }>(
          `INSERT INTO heads (stream, koffset, row_koffset, entry_hash) VALUES ($1, -1, -1, $2)
           ON CONFLICT (stream) DO UPDATE SET stream = EXCLUDED.stream
           RETURNING koffset, row_koffset, entry_hash, since_checkpoint, checkpoint_at`,
          [stream, genesisHash(stream)],
        )
      ).rows[0];
      if (!head) throw new Error(`no head for ${stream}`);
      const headOffset = BigInt(head.koffset);
      const fresh = (batch.rows as Array<EventEntry | DeliveryEntry>).filter((r) => BigInt(r.offset) > headOffset);
      let prev = head.entry_hash;
      let rowOffset = head.row_koffset;
      const rows: unknown[][] = [];
      const now = new Date();
      let since = head.since_checkpoint;
      let checkpointAt = head.checkpoint_at;
      // A checkpoint every `every` rows (so a proof carries at most that many links)…
      const due: Array<{ offset: string; hash: Buffer }> = [];
      for (const r of fresh) {
        const values = batch.kind === 'event' ? eventValues(r as EventEntry) : deliveryValues(r as DeliveryEntry);
        const hash = chainHash(prev, canonical(batch.kind, values));
        rows.push([...values, prev, hash]);
        prev = hash;
        rowOffset = r.offset;
        if (++since >= policy.every) {
          due.push({ offset: r.offset, hash });
          since = 0;
        }
      }
      if (rows.length > 0) {
        const sql = batch.kind === 'event' ? INSERT_EVENTS : INSERT_DELIVERIES;
        const width = rows[0]?.length ?? 0;
        await client.query(sql, columns(rows, width));
      }
      // …and one for the rest once the oldest unsigned row has waited `intervalMs`.
      if (since > 0 && now.getTime() - checkpointAt.getTime() >= policy.intervalMs) {
        due.push({ offset: rowOffset, hash: prev });
        since = 0;
      }
      for (const d of due) await insertCheckpoint(client, policy.signer, stream, d.offset, d.hash, now);
      if (due.length > 0) checkpointAt = now;
      const last = BigInt(batch.lastOffset) > headOffset ? batch.lastOffset : head.koffset;
      await client.query('UPDATE heads SET koffset = $2, row_koffset = $3, entry_hash = $4, since_checkpoint = $5, checkpoint_at = $6, updated_at = now() WHERE stream = $1', [
        stream,
        last,
        rowOffset,
        prev,
        since,
        checkpointAt,
      ]);
      await client.query('COMMIT');
      return { written: rows.length, skipped: batch.rows.length - rows.length, checkpoints: due.length };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Signs the head of every stream whose unsigned rows are older than `intervalMs` (idle streams). */
  async checkpointIdle(signer: LogSigner, intervalMs: number): Promise<number> {
    const due = await this.pool.query<{ stream: string }>("SELECT stream FROM heads WHERE since_checkpoint > 0 AND checkpoint_at < now() - make_interval(secs => $1::double precision / 1000)", [intervalMs]);
    let made = 0;
    for (const { stream } of due.rows) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const head = (await client.query<{ row_koffset: string; entry_hash: Buffer; since_checkpoint: number }>('SELECT row_koffset, entry_hash, since_checkpoint FROM heads WHERE stream = $1 FOR UPDATE SKIP LOCKED', [stream])).rows[0];
        if (head && head.since_checkpoint > 0) {
          const now = new Date();
          await insertCheckpoint(client, signer, stream, head.row_koffset, head.entry_hash, now);
          await client.query('UPDATE heads SET since_checkpoint = 0, checkpoint_at = $2 WHERE stream = $1', [stream, now]);
          made++;
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    }
    return made;
  }

  /** The last offset the sink has read per stream (its position), for the streams asked. */
  async positions(streams: string[]): Promise<Map<string, bigint>> {
    const r = await this.pool.query<{ stream: string; koffset: string }>('SELECT stream, koffset FROM heads WHERE stream = ANY($1::text[])', [streams]);
    return new Map(r.rows.map((x) => [x.stream, BigInt(x.koffset)]));
  }

  async event(eventId: string): Promise<EventRow | undefined> {
    const r = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = $1 ORDER BY logged_at LIMIT 1`, [eventId]);
    return r.rows[0];
  }

  async deliveriesOf(eventId: string): Promise<DeliveryRow[]> {
    const r = await this.pool.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE event_id = $1 ORDER BY logged_at, topic, kpartition, koffset`, [eventId]);
    return r.rows;
  }

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }
}

async function insertCheckpoint(client: pg.PoolClient, signer: LogSigner, stream: string, offset: string, hash: Buffer, at: Date): Promise<Checkpoint> {
  const c = signer.sign({ stream, offset, entryHash: hash, signedAt: at });
  await client.query('INSERT INTO checkpoints (stream, koffset, entry_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', [
    c.stream,
    c.offset,
    c.entryHash,
    c.signedAt,
    c.keyId,
    c.signature,
  ]);
  return c;
}

export { EVENT_COLUMNS, DELIVERY_COLUMNS };

/** The canonical values of a row read back (the same strings the sink hashed). */
export function rowValues(kind: LogKind, row: Record<string, unknown>): Array<string | number | boolean | Date | Buffer | null> {
  const fields: readonly string[] = kind === 'event' ? EVENT_FIELDS : DELIVERY_FIELDS;
  return fields.map((f) => (row[f] ?? null) as string | number | boolean | Date | Buffer | null);
}

export function tableOf(kind: LogKind): 'events' | 'deliveries' {
  return kind === 'event' ? 'events' : 'deliveries';
}

/** Rows of one stream in offset order, in pages (verify, proofs). */
export async function* streamRows(store: LogStore, kind: LogKind, topic: string, partition: number, o: { after?: string; upTo?: string; fromTime?: Date } = {}): AsyncGenerator<Record<string, unknown>> {
  let after = o.after ?? '-1';
  for (;;) {
    const params: unknown[] = [topic, partition, after];
    let extra = '';
    if (o.upTo !== undefined) {
      params.push(o.upTo);
      extra += ` AND koffset <= $${params.length}`;
    }
    if (o.fromTime !== undefined) {
      params.push(o.fromTime);
      extra += ` AND logged_at >= $${params.length}`;
    }
    const rows = await store.query<Record<string, unknown>>(`SELECT * FROM ${tableOf(kind)} WHERE topic = $1 AND kpartition = $2 AND koffset > $3${extra} ORDER BY koffset LIMIT 5000`, params);
    for (const r of rows) yield r;
    const last = rows.at(-1);
    if (!last || rows.length < 5000) return;
    after = String(last.koffset);
  }
}

/** The first checkpoint of a stream at or after an offset. */
export async function checkpointAtOrAfter(store: LogStore, stream: string, offset: string): Promise<CheckpointRow | undefined> {
  const rows = await store.query<CheckpointRow>('SELECT * FROM checkpoints WHERE stream = $1 AND koffset >= $2 ORDER BY koffset LIMIT 1', [stream, offset]);
  return rows[0];
}

/** A proof bundle of one logged row (its stream must have a checkpoint at or after it). */
export async function proofOf(store: LogStore, kind: LogKind, row: Record<string, unknown>, publicKeys: Record<string, string>): Promise<ProofBundle | undefined> {
  const topic = String(row.topic);
  const partition = Number(row.kpartition);
  const offset = String(row.koffset);
  const stream = streamOf(topic, partition);
  const cp = await checkpointAtOrAfter(store, stream, offset);
  if (!cp) return undefined;
  const links: Buffer[] = [];
  for await (const r of streamRows(store, kind, topic, partition, { after: offset, upTo: cp.koffset })) links.push(contentHash(canonical(kind, rowValues(kind, r))));
  const values = JSON.parse(canonical(kind, rowValues(kind, row))).slice(1) as (string | null)[];
  return proofBundle({ kind, stream, values, prevHash: row.prev_hash as Buffer, entryHash: row.entry_hash as Buffer, links, checkpoint: cp, publicKey: publicKeys[cp.key_id] ?? '' });
}
