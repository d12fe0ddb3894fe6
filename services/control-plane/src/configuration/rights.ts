/**
 * GovStack access rights (`/api/v1/rights/allow|deny`) over Roomcast's contracts and grants.
 *
 * A ServiceAccessRights item names a provider service — memberClass/memberCode/applicationId =
 * the room owner and the room code in the configured instance, serviceId = an event type (the
 * right to publish it: a publisher contract) or `sub:<event type>` (the right to subscribe
 * without the owner's approval: a subscriber grant) — and the applications allowed or denied.
 * Denying a subscribe right also sends the application's subscription to that event type back
 * to PENDING: delivery stops until the room owner approves it again.
 *
 * Listing is paged over (service, allowed application) pairs, as the specification describes;
 * the page token is the sort key of the last pair, opaque to callers. Pure: `Configuration` (configuration.ts) loads the state and writes the plan.
 */
import type { FieldError } from '@roomcast/core';
import {
  type InstanceState,
  indexState,
  noRightsChanges,
  parseServiceId,
  type RightsChanges,
  serviceIdOf,
} from './config-state.ts';

export interface AllowedApplication {
  memberClass: string;
  memberCode: string;
  applicationId: string;
}

export interface ServiceAccessRight {
  memberClass: string;
  memberCode: string;
  applicationId: string;
  serviceId: string;
  rights: AllowedApplication[];
}

/** One (service, allowed application) pair; `key` orders pairs and makes page tokens. */
export interface RightPair {
  key: [memberClass: string, memberCode: string, room: string, serviceId: string, clientId: string];
  client: AllowedApplication;
}

export interface RightsFilter {
  memberClass?: string;
  memberCode?: string;
  applicationId?: string;
  serviceId?: string;
}

/** Every right on the rooms of the configured instance, in order. */
export function rightPairs(state: InstanceState, instance: string): RightPair[] {
  const idx = indexState(state);
  const pairs: RightPair[] = [];
  const add = (kind: 'publish' | 'subscribe', rows: InstanceState['contracts']) => {
    for (const r of rows) {
      const t = idx.eventType(r.eventTypeId);
      const app = idx.app(r.clientId);
      if (!t || !app || t.member.instance !== instance) continue;
      pairs.push({
        key: [t.member.memberClass, t.member.memberCode, t.room.code, serviceIdOf({ kind, eventType: t.name }), r.clientId],
        client: { memberClass: app.member.memberClass, memberCode: app.member.memberCode, applicationId: app.code },
      });
    }
  };
  add('publish', state.contracts);
  add('subscribe', state.grants);
  return pairs.sort((a, b) => compareKeys(a.key, b.key));
}

export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function encodePageToken(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodePageToken(token: string): RightPair['key'] | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 5 && v.every((s) => typeof s === 'string')) return v as RightPair['key'];
  } catch {
    // not a token of ours
  }
  return undefined;
}

/** One page of pairs, grouped back into ServiceAccessRights items (a service may span pages). */
export function pageOfRights(pairs: RightPair[], filter: RightsFilter, pageSize: number, after?: readonly string[]): { allowList: ServiceAccessRight[]; nextPageToken?: string } {
  const matching = pairs.filter(
    (p) =>
      (filter.memberClass === undefined || p.key[0] === filter.memberClass) &&
      (filter.memberCode === undefined || p.key[1] === filter.memberCode) &&
      (filter.applicationId === undefined || p.key[2] === filter.applicationId) &&
      (filter.serviceId === undefined || p.key[3] === filter.serviceId) &&
      (after === undefined || compareKeys(p.key, after) > 0),
  );
  const page = matching.slice(0, pageSize);
  const allowList: ServiceAccessRight[] = [];
  for (const p of page) {
    const last = allowList[allowList.length - 1];
    if (last && last.memberClass === p.key[0] && last.memberCode === p.key[1] && last.applicationId === p.key[2] && last.serviceId === p.key[3]) {
      last.rights.push(p.client);
    } else {
      allowList.push({ memberClass: p.key[0], memberCode: p.key[1], applicationId: p.key[2], serviceId: p.key[3], rights: [p.client] });
    }
  }
  const lastKey = page[page.length - 1]?.key;
  return matching.length > pageSize && lastKey ? { allowList, nextPageToken: encodePageToken(lastKey) } : { allowList };
}

/** What allowing or denying the listed rights changes. Pure. */
export function planRights(op: 'allow' | 'deny', items: ServiceAccessRight[], state: InstanceState, instance: string): { errors: FieldError[]; changes: RightsChanges } {
  const errors: FieldError[] = [];
  const changes = noRightsChanges();
  const idx = indexState(state);
  const seen = new Set<string>();
  items.forEach((it, i) => {
    const ptr = `/${i}`;
    const room = idx.member(instance, it.memberClass, it.memberCode)?.rooms.find((r) => r.code === it.applicationId && r.status === 'APPROVED');
    if (!room) {
      errors.push({ pointer: `${ptr}/applicationId`, message: `no approved room ${instance}/${it.memberClass}/${it.memberCode}/${it.applicationId}` });
      return;
    }
    const ref = parseServiceId(it.serviceId);
    const type = ref ? room.eventTypes.find((t) => t.name === ref.eventType) : undefined;
    if (!ref || !type) {
      errors.push({ pointer: `${ptr}/serviceId`, message: ref ? `room ${room.code} has no event type ${ref.eventType}` : 'must be an event type name, or sub:<event type>' });
      return;
    }
    it.rights.forEach((r, j) => {
      const clientId = `${instance}/${r.memberClass}/${r.memberCode}/${r.applicationId}`;
      const app = idx.app(clientId);
      if (!app) {
        errors.push({ pointer: `${ptr}/rights/${j}`, message: `no application ${clientId}` });
        return;
      }
      if (op === 'allow' && (app.status !== 'APPROVED' || app.member.status !== 'APPROVED')) {
        errors.push({ pointer: `${ptr}/rights/${j}`, message: `application ${clientId} is not approved` });
        return;
      }
      const once = `${ref.kind}\u0000${type.id}\u0000${clientId}`;
      if (seen.has(once)) return;
      seen.add(once);
      const rows = ref.kind === 'publish' ? state.contracts : state.grants;
      const held = rows.find((x) => x.eventTypeId === type.id && x.clientId === clientId);
      const target = { clientId, eventTypeId: type.id, roomId: type.roomId };
      if (op === 'allow') {
        if (!held) (ref.kind === 'publish' ? changes.grantContracts : changes.addGrants).push(target);
      } else if (ref.kind === 'publish') {
        if (held) changes.revokeContracts.push(held.id);
      } else {
        if (held) changes.removeGrants.push(held.id);
        changes.withdrawSubscriptions.push({ applicationId: app.id, eventTypeId: type.id });
      }
    });
  });
  return { errors, changes };
}
