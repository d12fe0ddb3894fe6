/**
 * Retention with archives: before a day's partition of `events` or `deliveries` is dropped, its
 * rows are written to `<dir>/<schema>/<table>-<day>.jsonl.gz` (one JSON object per row, digests
 * and hashes in hex, times ISO-8601, in stream and offset order) with a manifest beside it
 * (`.manifest.json`: table, day, rows, SHA-256 of the .gz file). The archive row in the log
 * records the same; `drop_day` refuses to drop a partition whose row count differs from it.
 * `restoreArchive` puts an archive's rows back (the hashes as archived, so `verify` checks the
 * restored chains exactly as before): a lost log database is rebuilt from its archives.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DELIVERY_COLUMNS, EVENT_COLUMNS, type LogStore } from './store.ts';

export type LogTable = 'events' | 'deliveries';

export interface ArchiveManifest {
  format: 'roomcast-log-archive/1';
  table: LogTable;
  day: string;
  rows: number;
  sha256: string;
  file: string;
}

const BYTEA = new Set(['key_sha256', 'payload_sha256', 'prev_hash', 'entry_hash']);
const TIMES = new Set(['logged_at', 'published_at', 'next_attempt_at', 'occurred_at']);
const columnsOf = (t: LogTable) => (t === 'events' ? EVENT_COLUMNS : DELIVERY_COLUMNS).split(', ');

function toJson(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = Buffer.isBuffer(v) ? v.toString('hex') : v instanceof Date ? v.toISOString() : v;
  return out;
}

/** Archives one day of one table and drops its partition; returns the manifest (undefined when the day has no partition). */
export async function archiveDay(store: LogStore, table: LogTable, day: string, dir: string): Promise<ArchiveManifest | undefined> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  const part = `${table}_${day.replaceAll('-', '')}`;
  const exists = await store.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [part]);
  if (!exists[0]?.r) return undefined;
  const already = await store.query<{ rows: string }>('SELECT rows FROM archives WHERE table_name = $1 AND day = $2', [table, day]);
  // Through the parent (the log role reads no partition directly): the day's partition holds exactly these rows.
  const rows = await store.query<Record<string, unknown>>(`SELECT ${columnsOf(table).join(', ')} FROM ${table} WHERE logged_at >= $1::date AND logged_at < $1::date + 1 ORDER BY topic, kpartition, koffset`, [day]);
  const gz = gzipSync(Buffer.from(rows.map((r) => `${JSON.stringify(toJson(r))}\n`).join(''), 'utf8'));
  const folder = join(dir, store.schema);
  mkdirSync(folder, { recursive: true });
  const file = `${table}-${day}.jsonl.gz`;
  const manifest: ArchiveManifest = { format: 'roomcast-log-archive/1', table, day, rows: rows.length, sha256: createHash('sha256').update(gz).digest('hex'), file };
  writeFileSync(join(folder, file), gz);
  writeFileSync(join(folder, `${table}-${day}.manifest.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  if (already.length === 0) {
    await store.query('INSERT INTO archives (table_name, day, rows, sha256, file) VALUES ($1, $2, $3, $4, $5)', [table, day, rows.length, manifest.sha256, file]);
  } else if (Number(already[0]?.rows) !== rows.length) {
    throw new Error(`${part} was archived with ${already[0]?.rows} rows and now holds ${rows.length}; not dropped`);
  }
  await store.query('SELECT drop_day($1, $2::date)', [table, day]);
  return manifest;
}

/** Day partitions older than `retentionDays`, archived and dropped (the sink runs it hourly). */
export async function applyRetention(store: LogStore, retentionDays: number, dir: string): Promise<ArchiveManifest[]> {
  const parts = await store.query<{ t: string; d: string }>(
    `SELECT substring(c.relname from '^(events|deliveries)_') AS t, to_char(to_date(substring(c.relname from '_(\\d{8})$'), 'YYYYMMDD'), 'YYYY-MM-DD') AS d
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname IN ('events', 'deliveries') AND c.relname ~ '_\\d{8}$'
        AND to_date(substring(c.relname from '_(\\d{8})$'), 'YYYYMMDD') < current_date - $2::int
      ORDER BY 2, 1`,
    [store.schema, retentionDays],
  );
  const out: ArchiveManifest[] = [];
  for (const p of parts) {
    const m = await archiveDay(store, p.t as LogTable, p.d, dir);
    if (m) out.push(m);
  }
  return out;
}

/** Puts an archive's rows back into the log (checked against its manifest first); returns the rows inserted. */
export async function restoreArchive(store: LogStore, manifestFile: string): Promise<number> {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ArchiveManifest;
  if (manifest.format !== 'roomcast-log-archive/1' || !['events', 'deliveries'].includes(manifest.table)) throw new Error(`${manifestFile} is not a log archive manifest`);
  const gz = readFileSync(join(manifestFile, '..', manifest.file));
  if (createHash('sha256').update(gz).digest('hex') !== manifest.sha256) throw new Error(`${manifest.file} does not match the SHA-256 of its manifest`);
  const lines = gunzipSync(gz).toString('utf8').split('\n').filter((l) => l !== '');
  if (lines.length !== manifest.rows) throw new Error(`${manifest.file} holds ${lines.length} rows, its manifest ${manifest.rows}`);
  const cols = columnsOf(manifest.table);
  let inserted = 0;
  for (let i = 0; i < lines.length; i += 1000) {
    const chunk = lines.slice(i, i + 1000).map((l) => JSON.parse(l) as Record<string, unknown>);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => {
      const ph = cols.map((c) => {
        const v = r[c] ?? null;
        params.push(v !== null && BYTEA.has(c) ? Buffer.from(String(v), 'hex') : v !== null && TIMES.has(c) ? new Date(String(v)) : v);
        return `$${params.length}`;
      });
      return `(${ph.join(', ')})`;
    });
    const res = await store.pool.query(`INSERT INTO ${manifest.table} (${cols.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, params);
    inserted += res.rowCount ?? 0;
  }
  return inserted;
}
