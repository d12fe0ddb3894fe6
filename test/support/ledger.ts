/**
 * The publisher's ledger and the subscriber's count, as an auditor would keep them: every event
 * the ingress acknowledged (201), per key in publish order, set against the push deliveries the
 * subscriber accepted, in arrival order. Lost = acknowledged but never delivered; a duplicate =
 * a second accepted delivery of one event; an order violation = the first delivery of an event
 * arriving after the first delivery of a later event of the same key. Events answered 503 are
 * not in the ledger: the caller was never told they were stored (they may still arrive).
 */

export interface Delivery {
  key: string;
  id: string;
}

export interface Reconciliation {
  acknowledged: number;
  delivered: number;
  lost: number;
  duplicates: number;
  orderViolations: number;
  /** Deliveries of events the ledger does not hold (answered 503, yet stored). */
  unacknowledgedDelivered: number;
}

export class PublishLedger {
  readonly acked = new Map<string, string[]>();
  /** Publish answers by status (201, 503, …). */
  readonly answers = new Map<number, number>();

  answered(status: number, key: string, id?: string): void {
    this.answers.set(status, (this.answers.get(status) ?? 0) + 1);
    if (status === 201 && id) this.acked.set(key, [...(this.acked.get(key) ?? []), id]);
  }

  count(status: number): number {
    return this.answers.get(status) ?? 0;
  }

  ids(): string[] {
    return [...this.acked.values()].flat();
  }
}

export function reconcile(acked: ReadonlyMap<string, readonly string[]>, deliveries: readonly Delivery[]): Reconciliation {
  const position = new Map<string, number>();
  for (const ids of acked.values()) {
    for (const [i, id] of ids.entries()) position.set(id, i);
  }
  const seen = new Set<string>();
  const highest = new Map<string, number>();
  let duplicates = 0;
  let orderViolations = 0;
  let unacknowledgedDelivered = 0;
  for (const d of deliveries) {
    if (seen.has(d.id)) {
      duplicates++;
      continue;
    }
    seen.add(d.id);
    const at = position.get(d.id);
    if (at === undefined) {
      unacknowledgedDelivered++;
      continue;
    }
    if (at < (highest.get(d.key) ?? -1)) orderViolations++;
    else highest.set(d.key, at);
  }
  const acknowledged = position.size;
  const delivered = [...position.keys()].filter((id) => seen.has(id)).length;
  return { acknowledged, delivered, lost: acknowledged - delivered, duplicates, orderViolations, unacknowledgedDelivered };
}
