/**
 * One event's state per subscription, merged from the message log (every attempt and
 * transition, final ones included) and Redis (the latest state of deliveries not final yet).
 * Pure. The rules that keep the answer honest across crashes and redeliveries:
 *
 * - a final state (DELIVERED, FAILED, CANCELLED) in the log is never shown as pending again,
 *   even when a redelivery after a crash wrote a newer non-final state;
 * - `attempts` is the highest attempt count seen in either source.
 */
import type { DeliveryRow } from '@roomcast/log';
import type { DeliveryStatusEntry } from '@roomcast/redis';
import type { SubscriptionRoute } from '@roomcast/routing';

export interface DeliveryItem {
  subscriptionId: string;
  subscriberId: string;
  mode: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string | null;
}

const FINAL = new Set(['DELIVERED', 'FAILED', 'CANCELLED']);

type LogState = Pick<DeliveryRow, 'subscription_id' | 'subscriber' | 'mode' | 'attempt' | 'state' | 'http_status' | 'error_class' | 'occurred_at'>;

export function deliveryView(subs: readonly Pick<SubscriptionRoute, 'id' | 'clientId' | 'mode'>[], rows: readonly LogState[], pending: ReadonlyMap<string, DeliveryStatusEntry>): DeliveryItem[] {
  const known = new Map(subs.map((s) => [s.id, s]));
  const bySub = new Map<string, LogState[]>();
  for (const r of rows) {
    const list = bySub.get(r.subscription_id) ?? [];
    list.push(r);
    bySub.set(r.subscription_id, list);
  }
  const ids = [...new Set([...known.keys(), ...bySub.keys(), ...pending.keys()])];
  return ids.map((id) => {
    const s = known.get(id);
    const logged = bySub.get(id) ?? [];
    const p = pending.get(id);
    const attempts = Math.max(p?.attempts ?? 0, ...logged.map((r) => r.attempt));
    const final = logged.filter((r) => FINAL.has(r.state)).at(-1);
    const latest = logged.at(-1);
    const base = { subscriptionId: id, subscriberId: s?.clientId ?? latest?.subscriber ?? 'unknown', mode: s?.mode ?? latest?.mode.toUpperCase() ?? 'PUSH', attempts };
    if (final) return { ...base, state: final.state, lastStatus: final.http_status, lastError: final.error_class, updatedAt: final.occurred_at.toISOString() };
    // Not final in the log: the newer of the pending state in Redis and the last logged one.
    if (p && (!latest || p.updatedAt >= latest.occurred_at.toISOString())) return { ...base, state: p.state, lastStatus: p.lastStatus, lastError: p.lastError, updatedAt: p.updatedAt };
    if (latest) return { ...base, state: latest.state, lastStatus: latest.http_status, lastError: latest.error_class, updatedAt: latest.occurred_at.toISOString() };
    return { ...base, state: 'QUEUED', lastStatus: null, lastError: null, updatedAt: null };
  });
}
