/**
 * What the configuration-management and access-rights routes read and write: the instance
 * configuration, members with their applications and rooms (with event types), the
 * standing publisher contracts and the subscriber grants — loaded in one snapshot so a plan is
 * computed from a consistent view, and changed in one transaction so nothing is half-written.
 *
 * GovStack calls a right "serviceId → allowed application"; Roomcast has two kinds of right per
 * event type: the right to publish (a publisher contract, serviceId = the event type name) and
 * the right to subscribe without the owner's approval (a subscriber grant, serviceId =
 * `sub:<event type>`). See docs/decisions/0009-directory-and-configuration.md.
 */
import { isSegment, newId } from '@roomcast/core';
import type { Prisma } from '@roomcast/db';

export interface StateEventType {
  id: string;
  roomId: string;
  name: string;
  schemaId: number;
  schemaVersion: number;
}

export interface StateRoom {
  id: string;
  code: string;
  status: 'PENDING' | 'APPROVED';
  eventTypes: StateEventType[];
}

export interface StateApp {
  id: string;
  code: string;
  clientId: string;
  name: string | null;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
}

export interface StateMember {
  id: string;
  instance: string;
  memberClass: string;
  memberCode: string;
  name: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  applications: StateApp[];
  rooms: StateRoom[];
}

/** A standing right of one application on one event type (contract or grant row). */
export interface StateRight {
  id: string;
  eventTypeId: string;
  applicationId: string;
  clientId: string;
}

export interface InstanceState {
  config: { domain: string; instance: string } | null;
  /** Every member of every instance, sorted by instance, class and code. */
  members: StateMember[];
  /** Unrevoked publisher contracts. */
  contracts: StateRight[];
  grants: StateRight[];
}

/** Advisory lock held while configuration or rights change, so plans never interleave. */
export const CONFIG_LOCK = 7_410_218_204;

export type RightKind = 'publish' | 'subscribe';

export interface ServiceRef {
  kind: RightKind;
  eventType: string;
}

const SUB_PREFIX = 'sub:';

/** `newBirth` → the right to publish newBirth; `sub:newBirth` → the right to subscribe to it. */
export function parseServiceId(id: string): ServiceRef | undefined {
  const kind: RightKind = id.startsWith(SUB_PREFIX) ? 'subscribe' : 'publish';
  const eventType = kind === 'subscribe' ? id.slice(SUB_PREFIX.length) : id;
  return isSegment(eventType) ? { kind, eventType } : undefined;
}

export function serviceIdOf(ref: ServiceRef): string {
  return ref.kind === 'subscribe' ? `${SUB_PREFIX}${ref.eventType}` : ref.eventType;
}

export const memberKey = (instance: string, memberClass: string, memberCode: string) => `${instance}/${memberClass}/${memberCode}`;

/** Lookup maps over a snapshot, built once per request. */
export interface StateIndex {
  member(instance: string, memberClass: string, memberCode: string): StateMember | undefined;
  app(clientId: string): (StateApp & { member: StateMember }) | undefined;
  eventType(id: string): (StateEventType & { room: StateRoom; member: StateMember }) | undefined;
}

export function indexState(state: InstanceState): StateIndex {
  const members = new Map<string, StateMember>();
  const apps = new Map<string, StateApp & { member: StateMember }>();
  const types = new Map<string, StateEventType & { room: StateRoom; member: StateMember }>();
  for (const m of state.members) {
    members.set(memberKey(m.instance, m.memberClass, m.memberCode), m);
    for (const a of m.applications) apps.set(a.clientId, { ...a, member: m });
    for (const r of m.rooms) for (const t of r.eventTypes) types.set(t.id, { ...t, room: r, member: m });
  }
  return {
    member: (i, c, m) => members.get(memberKey(i, c, m)),
    app: (clientId) => apps.get(clientId),
    eventType: (id) => types.get(id),
  };
}

export async function loadState(db: Prisma.TransactionClient): Promise<InstanceState> {
  // Sequential: the snapshot is read inside a transaction, whose one connection runs one query at a time.
  const config = await db.instanceConfig.findUnique({ where: { id: 1 } });
  const members = await db.member.findMany({
    include: { applications: { orderBy: { code: 'asc' } }, rooms: { orderBy: { code: 'asc' }, include: { eventTypes: { orderBy: { name: 'asc' } } } } },
    orderBy: [{ instance: 'asc' }, { memberClass: 'asc' }, { memberCode: 'asc' }],
  });
  const contracts = await db.publisherContract.findMany({ where: { revokedAt: null }, include: { application: true } });
  const grants = await db.subscriberGrant.findMany({ include: { application: true } });
  const right = (r: { id: string; eventTypeId: string; applicationId: string; application: { clientId: string } }): StateRight => ({
    id: r.id,
    eventTypeId: r.eventTypeId,
    applicationId: r.applicationId,
    clientId: r.application.clientId,
  });
  return {
    config: config ? { domain: config.domain, instance: config.instance } : null,
    members: members.map((m) => ({
      id: m.id,
      instance: m.instance,
      memberClass: m.memberClass,
      memberCode: m.memberCode,
      name: m.name,
      status: m.status,
      applications: m.applications.map((a) => ({ id: a.id, code: a.code, clientId: a.clientId, name: a.name, status: a.status })),
      rooms: m.rooms.map((r) => ({
        id: r.id,
        code: r.code,
        status: r.status,
        eventTypes: r.eventTypes.map((t) => ({ id: t.id, roomId: t.roomId, name: t.name, schemaId: t.schemaId, schemaVersion: t.schemaVersion })),
      })),
    })),
    contracts: contracts.map(right),
    grants: grants.map(right),
  };
}

/** One right to add: the application is named by client id (it may be created in the same change). */
export interface RightTarget {
  clientId: string;
  eventTypeId: string;
  roomId: string;
}

/** Changes to standing rights, applied together. */
export interface RightsChanges {
  grantContracts: RightTarget[];
  revokeContracts: string[];
  addGrants: RightTarget[];
  removeGrants: string[];
  /** Subscriptions whose right to receive was withdrawn: they go back to PENDING. */
  withdrawSubscriptions: Array<{ applicationId: string; eventTypeId: string }>;
}

export const noRightsChanges = (): RightsChanges => ({ grantContracts: [], revokeContracts: [], addGrants: [], removeGrants: [], withdrawSubscriptions: [] });

export function countChanges(c: RightsChanges): Record<string, number> {
  return {
    contractsGranted: c.grantContracts.length,
    contractsRevoked: c.revokeContracts.length,
    grantsAdded: c.addGrants.length,
    grantsRemoved: c.removeGrants.length,
  };
}

/**
 * Writes rights changes inside the caller's transaction. `appIds` maps client ids to application
 * ids for applications created earlier in the same transaction.
 */
export async function applyRightsChanges(tx: Prisma.TransactionClient, c: RightsChanges, appIdOf: (clientId: string) => string): Promise<void> {
  const now = new Date();
  for (const g of c.grantContracts) {
    const applicationId = appIdOf(g.clientId);
    await tx.publisherContract.upsert({
      where: { applicationId_eventTypeId: { applicationId, eventTypeId: g.eventTypeId } },
      create: { id: newId('pub'), roomId: g.roomId, applicationId, eventTypeId: g.eventTypeId },
      update: { revokedAt: null },
    });
  }
  if (c.revokeContracts.length > 0) {
    await tx.publisherContract.updateMany({ where: { id: { in: c.revokeContracts }, revokedAt: null }, data: { revokedAt: now } });
  }
  for (const g of c.addGrants) {
    const applicationId = appIdOf(g.clientId);
    await tx.subscriberGrant.upsert({
      where: { applicationId_eventTypeId: { applicationId, eventTypeId: g.eventTypeId } },
      create: { id: newId('grant'), roomId: g.roomId, applicationId, eventTypeId: g.eventTypeId },
      update: {},
    });
  }
  if (c.removeGrants.length > 0) await tx.subscriberGrant.deleteMany({ where: { id: { in: c.removeGrants } } });
  for (const w of c.withdrawSubscriptions) {
    // Delivery stops (the routing contract carries ACTIVE subscriptions only); settings and
    // secret stay, and only the room owner's approval makes it deliver again.
    await tx.subscription.updateMany({
      where: { applicationId: w.applicationId, eventTypeId: w.eventTypeId, status: { in: ['ACTIVE', 'PAUSED'] } },
      data: { status: 'PENDING', statusReason: 'access to the event type was denied (GovStack rights)' },
    });
  }
}
