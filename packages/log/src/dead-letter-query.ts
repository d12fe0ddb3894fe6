/**
 * Dead letters of one subscription as SQL (pure): the filter of the list, count, redrive and
 * purge routes becomes one WHERE clause with numbered parameters, and a page position becomes
 * an opaque keyset cursor (newest first: dead_lettered_at, then partition and offset).
 *
 * A dead letter's state follows from the claims (decision 0026): `dead` while unclaimed,
 * `redriven` or `purged` once a redrive or a purge took it.
 */

export const DEAD_LETTER_STATES = ['dead', 'redriven', 'purged', 'all'] as const;
export type DeadLetterState = (typeof DEAD_LETTER_STATES)[number];

export interface DeadLetterFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  eventType?: string | undefined;
  /** Matches the reason it was given up (rejected, expired, …) or its last error (HTTP 400, timeout, …). */
  errorClass?: string | undefined;
  httpStatus?: number | undefined;
  /** Explicit dead letters (ids as `dl_<partition>_<offset>`). */
  ids?: DeadLetterKey[] | undefined;
  state: DeadLetterState;
}

export interface DeadLetterKey {
  partition: number;
  offset: string;
}

export interface PagePosition {
  at: Date;
  partition: number;
  offset: string;
}

const ID_RE = /^dl_(\d{1,9})_(\d{1,19})$/;

/** The public id of a dead letter: its position in the (one) dead-letter topic. */
export function deadLetterId(k: DeadLetterKey): string {
  return `dl_${k.partition}_${k.offset}`;
}

export function parseDeadLetterId(id: string): DeadLetterKey | undefined {
  const m = ID_RE.exec(id);
  if (!m) return undefined;
  const offset = BigInt(m[2] as string);
  if (offset > 9223372036854775807n) return undefined;
  return { partition: Number(m[1]), offset: offset.toString() };
}

export function encodeCursor(p: PagePosition): string {
  return Buffer.from(JSON.stringify([p.at.toISOString(), p.partition, p.offset])).toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 3) return undefined;
    const [at, partition, offset] = v as [unknown, unknown, unknown];
    const d = typeof at === 'string' ? new Date(at) : undefined;
    if (!d || Number.isNaN(d.getTime()) || !Number.isInteger(partition) || typeof offset !== 'string' || !/^\d{1,19}$/.test(offset)) return undefined;
    return { at: d, partition: partition as number, offset };
  } catch {
    return undefined;
  }
}

const CLAIMED = (alias: string) => `SELECT 1 FROM dead_letter_claims c WHERE c.topic = ${alias}.topic AND c.kpartition = ${alias}.kpartition AND c.koffset = ${alias}.koffset`;

/**
 * The WHERE clause over `dead_letters dl` for one subscription in the dead-letter topic `topic`;
 * `params` receives the values (appended, so a caller may have put its own first).
 */
export function deadLetterWhere(topic: string, subscriptionId: string, f: DeadLetterFilter, params: unknown[], after?: PagePosition): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts = [`dl.topic = ${p(topic)}`, `dl.subscription_id = ${p(subscriptionId)}`];
  if (f.from) parts.push(`dl.dead_lettered_at >= ${p(f.from)}`);
  if (f.to) parts.push(`dl.dead_lettered_at < ${p(f.to)}`);
  if (f.eventType !== undefined) parts.push(`dl.event_type = ${p(f.eventType)}`);
  if (f.errorClass !== undefined) {
    const v = p(f.errorClass);
    parts.push(`(dl.reason = ${v} OR dl.detail = ${v})`);
  }
  if (f.httpStatus !== undefined) parts.push(`dl.http_status = ${p(f.httpStatus)}`);
  if (f.ids !== undefined) {
    const partitions = p(f.ids.map((k) => k.partition));
    const offsets = p(f.ids.map((k) => k.offset));
    parts.push(`(dl.kpartition, dl.koffset) IN (SELECT * FROM unnest(${partitions}::int[], ${offsets}::bigint[]))`);
  }
  if (f.state === 'dead') parts.push(`NOT EXISTS (${CLAIMED('dl')})`);
  else if (f.state === 'redriven') parts.push(`EXISTS (${CLAIMED('dl')} AND c.action = 'redrive')`);
  else if (f.state === 'purged') parts.push(`EXISTS (${CLAIMED('dl')} AND c.action = 'purge')`);
  if (after) parts.push(`(dl.dead_lettered_at, dl.kpartition, dl.koffset) < (${p(after.at)}, ${p(after.partition)}, ${p(after.offset)}::bigint)`);
  return parts.join(' AND ');
}

/** Newest first, the order the cursor follows. */
export const DEAD_LETTER_ORDER = 'dl.dead_lettered_at DESC, dl.kpartition DESC, dl.koffset DESC';
