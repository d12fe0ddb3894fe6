/**
 * The redrive topic's records (decision 0026): a dead letter handed back for delivery to one
 * subscription. The value and the event's own headers are the dead letter's, as stored (a
 * classified payload stays sealed); these headers say where it goes, under which redrive, at
 * which pace, and where the event first came from. Written by the dead-letter routes, read by
 * the dispatchers' one redrive consumer group. Pure.
 */
import type { IHeaders } from 'kafkajs';

export interface RedriveTarget {
  subscriptionId: string;
  redriveId: string;
  /** Most deliveries per second of this redrive (per dispatcher reading its partition). */
  ratePerSec: number;
  /** The event's position in its room topic, which the delivery log and a new dead letter name. */
  source: { topic: string; partition: number; offset: number };
  /** The event's own record key (the redrive record is keyed by subscription); null: none. */
  key: string | null;
}

const H = {
  subscription: 'rc-redrive-subscription',
  id: 'rc-redrive-id',
  rate: 'rc-redrive-rate',
  source: 'rc-redrive-source',
  key: 'rc-redrive-key',
} as const;

/** Headers about a dead letter (`rc-dlq-*`, and the pull service's) that a redriven record does not carry on. */
const DEAD_LETTER_HEADER = /^rc-(dlq-|dead-|subscription$|source-)/;

/** The redrive record's headers: the event's own, without the dead letter's, plus the target's. */
export function redriveHeaders(deadLetter: IHeaders, t: RedriveTarget): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(deadLetter)) if (!DEAD_LETTER_HEADER.test(k) && !k.startsWith('rc-redrive-') && v !== undefined) out[k] = v;
  out[H.subscription] = t.subscriptionId;
  out[H.id] = t.redriveId;
  out[H.rate] = String(t.ratePerSec);
  out[H.source] = `${t.source.topic}/${t.source.partition}/${t.source.offset}`;
  if (t.key !== null) out[H.key] = t.key;
  return out;
}

const one = (h: IHeaders, k: string): string | undefined => {
  const v = h[k];
  const x = Array.isArray(v) ? v[0] : v;
  return x === undefined ? undefined : x.toString();
};

/** The target of a redrive record; undefined when a header is missing or malformed. */
export function redriveTargetOf(h: IHeaders | undefined): RedriveTarget | undefined {
  if (!h) return undefined;
  const subscriptionId = one(h, H.subscription);
  const redriveId = one(h, H.id);
  const rate = Number(one(h, H.rate));
  const m = /^(.+)\/(\d{1,9})\/(\d{1,15})$/.exec(one(h, H.source) ?? '');
  if (!subscriptionId || !redriveId || !m || !Number.isFinite(rate) || rate <= 0) return undefined;
  return { subscriptionId, redriveId, ratePerSec: rate, source: { topic: m[1] as string, partition: Number(m[2]), offset: Number(m[3]) }, key: one(h, H.key) ?? null };
}
