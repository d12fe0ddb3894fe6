/**
 * GovStack Configuration Management: the instance described as an IMconf document, read from and
 * applied to Roomcast's model.
 *
 * Mapping. `domain`/`instance` → instance_config. `members[]` → members of that instance (class,
 * code, name). `members[].applications[]` → the member's applications and rooms: a room is the
 * provider GovStack addresses by application code, so an approved room is listed there with its
 * event types as `services` (`<type>` = the right to publish, rights = publisher contracts;
 * `sub:<type>` = the right to subscribe without the owner's approval, rights = subscriber grants).
 *
 * Applying is plan-then-write: `planConfig` (pure) checks the whole document against one snapshot
 * and lists every problem with its JSON pointer; only a plan without problems is written, in one
 * transaction (`Configuration.apply`). Rooms and event types are never created or deleted here (IMconf carries no JSON
 * Schema); members and applications are created but never deleted. See decision 0009.
 */
import { type FieldError, formatClientId, parseClientId } from '@roomcast/core';
import {
  type InstanceState,
  indexState,
  memberKey,
  noRightsChanges,
  parseServiceId,
  type RightsChanges,
  type StateEventType,
  type StateMember,
  serviceIdOf,
} from './config-state.ts';
import { eventTypePaths } from '../directory/directory.ts';

export interface ImRight {
  member: string;
  application: string;
}
export interface ImService {
  id: string;
  specUrl: string;
  serviceUrl: string;
  rights?: ImRight[];
}
export interface ImApplication {
  id: string;
  connection?: string;
  services?: ImService[];
}
export interface ImMember {
  name: string;
  class: string;
  code: string;
  applications?: ImApplication[];
}
export interface ImConf {
  domain: string;
  instance: string;
  members?: ImMember[];
}

/** init = POST (first configuration), merge = PATCH (additive), replace = PUT (rights not described are withdrawn). */
export type ConfigMode = 'init' | 'merge' | 'replace';

/** `CLASS/CODE` for members of the configured instance, `INSTANCE/CLASS/CODE` otherwise. */
export function memberRef(instance: string, clientId: string): { member: string; application: string } {
  const c = parseClientId(clientId);
  if (!c) return { member: clientId, application: '' };
  return { member: c.instance === instance ? `${c.memberClass}/${c.memberCode}` : `${c.instance}/${c.memberClass}/${c.memberCode}`, application: c.application };
}

type MemberId = { instance: string; memberClass: string; memberCode: string };

/** Resolves a right's `member`: `CLASS/CODE`, `INSTANCE/CLASS/CODE`, or a member code unique in the instance. */
export function resolveMemberRef(ref: string, instance: string, members: MemberId[]): MemberId | string {
  const parts = ref.split('/');
  if (parts.length === 3) return { instance: parts[0] as string, memberClass: parts[1] as string, memberCode: parts[2] as string };
  if (parts.length === 2) return { instance, memberClass: parts[0] as string, memberCode: parts[1] as string };
  const found = members.filter((m) => m.instance === instance && m.memberCode === ref);
  if (found.length === 1) return found[0] as MemberId;
  return found.length === 0 ? `no member with code ${ref} in instance ${instance}` : `member code ${ref} is ambiguous in instance ${instance}: write CLASS/CODE`;
}

/** The IMconf document of the configured instance (approved members, applications and rooms only). */
export function toImConf(state: InstanceState & { config: { domain: string; instance: string } }, origin: string): ImConf {
  const { domain, instance } = state.config;
  const holders = (rows: InstanceState['contracts'], t: StateEventType) =>
    rows
      .filter((r) => r.eventTypeId === t.id)
      .map((r) => memberRef(instance, r.clientId))
      .sort((a, b) => (a.member === b.member ? cmp(a.application, b.application) : cmp(a.member, b.member)));
  const members = state.members
    .filter((m) => m.instance === instance && m.status === 'APPROVED')
    .map((m) => {
      const entries = new Map<string, ImApplication>();
      for (const r of m.rooms) {
        if (r.status !== 'APPROVED') continue;
        const address = { instance, memberClass: m.memberClass, memberCode: m.memberCode, room: r.code };
        entries.set(r.code, {
          id: r.code,
          services: r.eventTypes.flatMap((t) => {
            const p = eventTypePaths(address, t.name);
            return [
              { id: t.name, specUrl: `${origin}${p.openapi}`, serviceUrl: `${origin}${p.publish}`, rights: holders(state.contracts, t) },
              { id: serviceIdOf({ kind: 'subscribe', eventType: t.name }), specUrl: `${origin}${p.openapi}`, serviceUrl: `${origin}${p.subscription}`, rights: holders(state.grants, t) },
            ];
          }),
        });
      }
      for (const a of m.applications) if (a.status === 'APPROVED' && !entries.has(a.code)) entries.set(a.code, { id: a.code });
      const applications = [...entries.values()].sort((a, b) => cmp(a.id, b.id));
      return { name: m.name, class: m.memberClass, code: m.memberCode, applications };
    });
  return { domain, instance, members };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface ConfigPlan {
  instanceConfig: { domain: string; instance: string };
  createMembers: Array<{ memberClass: string; memberCode: string; name: string }>;
  renameMembers: Array<{ id: string; name: string }>;
  createApps: Array<{ memberClass: string; memberCode: string; code: string; clientId: string }>;
  rights: RightsChanges;
}

interface DescribedRoom {
  pointer: string;
  member: StateMember;
  room: StateMember['rooms'][number];
  services: ImService[];
}

/** Checks a whole IMconf against the current state and lists what applying it changes. Pure. */
export function planConfig(mode: ConfigMode, desired: ImConf, state: InstanceState): { errors: FieldError[]; plan: ConfigPlan } {
  const errors: FieldError[] = [];
  const fail = (pointer: string, message: string) => {
    errors.push({ pointer, message });
  };
  const I = desired.instance;
  const plan: ConfigPlan = { instanceConfig: { domain: desired.domain, instance: I }, createMembers: [], renameMembers: [], createApps: [], rights: noRightsChanges() };
  const old = state.config;
  if (mode === 'init' && old) fail('', `the instance ${old.instance} is already configured: PATCH or PUT /api/v1/config changes it`);
  if (mode === 'merge' && !old) fail('', 'the instance is not configured yet: POST or PUT /api/v1/config first');
  if (old && old.instance !== I && state.members.some((m) => m.instance === old.instance)) {
    fail('/instance', `must stay ${old.instance}: that instance has members, whose client ids contain it`);
  }

  const idx = indexState(state);
  // Members and applications as they will be once the plan is applied, for resolving rights.
  const members: MemberId[] = state.members.map((m) => ({ instance: m.instance, memberClass: m.memberClass, memberCode: m.memberCode }));
  const appStatus = new Map<string, string>();
  for (const m of state.members) for (const a of m.applications) appStatus.set(a.clientId, m.status !== 'APPROVED' ? `of a ${m.status} member` : a.status);
  const described: DescribedRoom[] = [];

  const seenMembers = new Set<string>();
  for (const [i, dm] of (desired.members ?? []).entries()) {
    const ptr = `/members/${i}`;
    const key = memberKey(I, dm.class, dm.code);
    const existing = idx.member(I, dm.class, dm.code);
    if (seenMembers.has(key)) {
      fail(ptr, `describes member ${dm.class}/${dm.code} a second time`);
      continue;
    }
    seenMembers.add(key);
    if (existing && existing.status !== 'APPROVED') {
      fail(ptr, `member ${key} is ${existing.status}: approve it through the admin API first`);
      continue;
    }
    if (!existing) {
      plan.createMembers.push({ memberClass: dm.class, memberCode: dm.code, name: dm.name });
      members.push({ instance: I, memberClass: dm.class, memberCode: dm.code });
    } else if (existing.name !== dm.name) {
      plan.renameMembers.push({ id: existing.id, name: dm.name });
    }
    const seenApps = new Set<string>();
    for (const [j, da] of (dm.applications ?? []).entries()) {
      const aptr = `${ptr}/applications/${j}`;
      const clientId = formatClientId({ instance: I, memberClass: dm.class, memberCode: dm.code, application: da.id });
      const room = existing?.rooms.find((r) => r.code === da.id);
      if (seenApps.has(da.id)) {
        fail(aptr, `describes application ${da.id} a second time`);
      } else if (existing && room?.status === 'APPROVED') {
        described.push({ pointer: aptr, member: existing, room, services: da.services ?? [] });
      } else if ((da.services ?? []).length > 0) {
        fail(`${aptr}/services`, room ? `room ${clientId} is not approved yet` : `${key} has no room ${da.id}: rooms and event types are created through the PubSub API`);
      } else if (!room) {
        // An application (a pending room with this code needs nothing until it is approved).
        const status = appStatus.get(clientId);
        if (status === undefined) {
          plan.createApps.push({ memberClass: dm.class, memberCode: dm.code, code: da.id, clientId });
          appStatus.set(clientId, 'APPROVED');
        } else if (status !== 'APPROVED') {
          fail(aptr, `application ${clientId} is ${status}: approve it through the admin API first`);
        }
      }
      seenApps.add(da.id);
    }
  }

  // Desired rights, by kind and event type id.
  const wanted = new Map<string, Set<string>>();
  for (const d of described) {
    for (const [k, ds] of d.services.entries()) {
      const sptr = `${d.pointer}/services/${k}`;
      const ref = parseServiceId(ds.id);
      const type = ref ? d.room.eventTypes.find((t) => t.name === ref.eventType) : undefined;
      if (!ref || !type) {
        fail(`${sptr}/id`, ref ? `room ${d.room.code} has no event type ${ref.eventType}` : 'must be an event type name, or sub:<event type> for the right to subscribe');
        continue;
      }
      const key = `${ref.kind}\u0000${type.id}`;
      if (wanted.has(key)) {
        fail(`${sptr}/id`, `describes service ${ds.id} a second time`);
        continue;
      }
      const clients = new Set<string>();
      wanted.set(key, clients);
      for (const [l, dr] of (ds.rights ?? []).entries()) {
        const rptr = `${sptr}/rights/${l}`;
        const m = resolveMemberRef(dr.member, I, members);
        const clientId = typeof m === 'string' ? undefined : `${m.instance}/${m.memberClass}/${m.memberCode}/${dr.application}`;
        const status = clientId === undefined ? undefined : appStatus.get(clientId);
        if (typeof m === 'string' || clientId === undefined) {
          fail(`${rptr}/member`, typeof m === 'string' ? m : 'is invalid');
        } else if (status !== 'APPROVED') {
          fail(`${rptr}/application`, status === undefined ? `no application ${clientId}` : `application ${clientId} is ${status}`);
        } else {
          const held = (ref.kind === 'publish' ? state.contracts : state.grants).some((r) => r.eventTypeId === type.id && r.clientId === clientId);
          if (!held && !clients.has(clientId)) (ref.kind === 'publish' ? plan.rights.grantContracts : plan.rights.addGrants).push({ clientId, eventTypeId: type.id, roomId: type.roomId });
          clients.add(clientId);
        }
      }
    }
  }

  if (mode === 'replace') {
    const inInstance = (eventTypeId: string) => idx.eventType(eventTypeId)?.member.instance === I;
    const keeps = (kind: string, r: { eventTypeId: string; clientId: string }) => wanted.get(`${kind}\u0000${r.eventTypeId}`)?.has(r.clientId) === true;
    for (const c of state.contracts) if (inInstance(c.eventTypeId) && !keeps('publish', c)) plan.rights.revokeContracts.push(c.id);
    for (const g of state.grants) {
      if (!inInstance(g.eventTypeId) || keeps('subscribe', g)) continue;
      plan.rights.removeGrants.push(g.id);
      plan.rights.withdrawSubscriptions.push({ applicationId: g.applicationId, eventTypeId: g.eventTypeId });
    }
  }
  return { errors, plan };
}

export interface ConfigResult {
  generation: number;
  summary: Record<string, number>;
}

/** The IMconfResponse string. */
export function describeResult(r: ConfigResult): string {
  const parts = Object.entries(r.summary).map(([k, v]) => `${k} ${v}`);
  return `configuration applied: routing generation ${r.generation}; ${parts.join(', ')}`;
}
