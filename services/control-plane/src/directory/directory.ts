/**
 * GovStack Directory Services over Roomcast's model. Members are MEMBER objects; their approved
 * applications and approved rooms are APPLICATION objects (a room sits where GovStack puts the
 * provider's application code, so it is what `listMethods` is asked about); each event type of a
 * room is a REST SERVICE whose endpoints are the PubSub routes for that type.
 *
 * The builders here are pure (unit-tested); `Directory` (directory-service.ts) loads what they describe.
 */
import type { RoomAddress } from '@roomcast/core';

export interface DirectoryId {
  objectType: 'MEMBER' | 'APPLICATION' | 'SERVICE';
  instanceId: string;
  memberClass: string;
  memberCode: string;
  applicationCode?: string;
}

export interface ClientDetails {
  name: string;
  id: DirectoryId;
}

export interface Endpoint {
  method: string;
  path: string;
}

export interface ServiceDetails {
  objectType: 'SERVICE';
  serviceType: 'REST';
  instanceId: string;
  memberClass: string;
  memberCode: string;
  applicationCode: string;
  serviceCode: string;
  serviceVersion: string;
  endpointList: { member: Endpoint[] };
}

/** What the caller may invoke on one event type. */
export type EndpointGroup = 'publish' | 'subscribe' | 'pull';

export const ALL_GROUPS: readonly EndpointGroup[] = ['publish', 'subscribe', 'pull'];

export function roomBase(a: RoomAddress): string {
  return `/r1/${a.instance}/${a.memberClass}/${a.memberCode}/${a.room}`;
}

/** The GovStack PubSub paths of one event type in one room. */
export function eventTypePaths(a: RoomAddress, eventType: string) {
  const base = roomBase(a);
  return {
    publish: `${base}/pub/v1/${eventType}`,
    event: `${base}/pub/v1/${eventType}/{eventId}`,
    subscription: `${base}/api/v1/subs/${eventType}`,
    pull: `${base}/pull/v1/${eventType}`,
    pullEvent: `${base}/pull/v1/${eventType}/{eventId}`,
    openapi: `${base}/getOpenAPI?serviceCode=${encodeURIComponent(eventType)}`,
  };
}

export function endpointsOf(a: RoomAddress, eventType: string, groups: readonly EndpointGroup[] = ALL_GROUPS): Endpoint[] {
  const p = eventTypePaths(a, eventType);
  const out: Endpoint[] = [];
  if (groups.includes('publish')) {
    out.push({ method: 'POST', path: p.publish }, { method: 'GET', path: p.event }, { method: 'DELETE', path: p.event });
  }
  if (groups.includes('subscribe')) {
    for (const method of ['POST', 'GET', 'PATCH', 'DELETE']) out.push({ method, path: p.subscription });
  }
  if (groups.includes('pull')) out.push({ method: 'GET', path: p.pull }, { method: 'DELETE', path: p.pullEvent });
  return out;
}

export function serviceDetails(a: RoomAddress, t: { name: string; schemaVersion: number }, groups: readonly EndpointGroup[] = ALL_GROUPS): ServiceDetails {
  return {
    objectType: 'SERVICE',
    serviceType: 'REST',
    instanceId: a.instance,
    memberClass: a.memberClass,
    memberCode: a.memberCode,
    applicationCode: a.room,
    serviceCode: t.name,
    serviceVersion: String(t.schemaVersion),
    endpointList: { member: endpointsOf(a, t.name, groups) },
  };
}

interface DirectoryMember {
  instance: string;
  memberClass: string;
  memberCode: string;
  name: string;
  applications: Array<{ code: string; name: string | null }>;
  rooms: Array<{ code: string }>;
}

/**
 * restClientDetailsListType: each member, then its applications and rooms as APPLICATION
 * objects, ordered by code. An application and a room with the same code are one GovStack
 * subsystem (it both calls and provides services) and appear once.
 */
export function clientList(members: DirectoryMember[]): { member: ClientDetails[] } {
  const out: ClientDetails[] = [];
  for (const m of members) {
    const id = { instanceId: m.instance, memberClass: m.memberClass, memberCode: m.memberCode };
    out.push({ name: m.name, id: { objectType: 'MEMBER', ...id } });
    const subsystems = new Map<string, string>();
    for (const r of m.rooms) subsystems.set(r.code, m.name);
    for (const a of m.applications) subsystems.set(a.code, a.name ?? m.name);
    for (const code of [...subsystems.keys()].sort()) {
      out.push({ name: subsystems.get(code) ?? m.name, id: { objectType: 'APPLICATION', ...id, applicationCode: code } });
    }
  }
  return { member: out };
}

/**
 * Which endpoint groups of one event type a client may invoke: publish only under a publisher
 * contract; subscription requests always (the room owner approves them, or a grant does);
 * pull only with an active pull subscription.
 */
export function allowedGroups(rights: { publisher: boolean; activePull: boolean }): EndpointGroup[] {
  const groups: EndpointGroup[] = [];
  if (rights.publisher) groups.push('publish');
  groups.push('subscribe');
  if (rights.activePull) groups.push('pull');
  return groups;
}
