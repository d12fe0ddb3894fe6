/**
 * Publisher contracts: the room owner's grant that lets one application publish one event type
 * into the room. Granting is idempotent (a revoked contract is reinstated); revoking marks the
 * contract, keeping its history; both republish the routing contract, so the ingress allows or
 * refuses from the next generation on. Deleting an event type deletes its contracts.
 *
 * Visibility of a contract by id: global admins, the room's owner member, and the grantee
 * application with its member's keys. Anyone else gets the 404 of a missing id.
 */
import { newId, RoomcastError } from '@roomcast/core';
import type { ApplicationModel, EventTypeModel, PrismaClient, PublisherContractModel } from '@roomcast/db';
import type { Principal } from '@roomcast/http';
import { actsFor } from '../http/access.ts';
import { type PageQuery, pageArgs, pageOf } from '../http/paging.ts';
import type { RoutingPublisher } from '../routing/types.ts';
import { memberKey, type RoomWithMember } from '../rooms/rooms.ts';

type ContractRow = PublisherContractModel & { application: ApplicationModel; eventType: EventTypeModel; room: RoomWithMember };
const INCLUDE = { application: true, eventType: true, room: { include: { member: true } } } as const;

export function contractView(c: ContractRow) {
  return {
    id: c.id,
    roomId: c.roomId,
    room: `${memberKey(c.room.member)}/${c.room.code}`,
    clientId: c.application.clientId,
    eventType: c.eventType.name,
    createdAt: c.createdAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
  };
}

export interface ContractListQuery extends PageQuery {
  clientId?: string;
  roomId?: string;
  eventType?: string;
  includeRevoked: boolean;
}

/** INSTANCE/CLASS/MEMBER of a client id (or of a member key: the first three segments). */
function clientMember(clientId: string) {
  const [instance = '', memberClass = '', memberCode = ''] = clientId.split('/');
  return { instance, memberClass, memberCode };
}

export interface PublishersDeps {
  db: PrismaClient;
  routing: RoutingPublisher;
}

export class Publishers {
  readonly #deps: PublishersDeps;
  constructor(deps: PublishersDeps) {
    this.#deps = deps;
  }

  /** Grants `clientId` every listed event type of the room; all names are checked before anything is written. */
  async grant(room: RoomWithMember, clientId: string, eventTypes: string[]) {
    const application = await this.#deps.db.application.findUnique({ where: { clientId } });
    if (!application) throw new RoomcastError('application.not_found', { detail: `No application ${clientId}`, errors: [{ pointer: '/clientId', message: 'names no application' }] });
    const names = [...new Set(eventTypes)];
    const types = await this.#deps.db.eventType.findMany({ where: { roomId: room.id, name: { in: names } } });
    const known = new Set(types.map((t) => t.name));
    const missing = eventTypes.flatMap((n, i) => (known.has(n) ? [] : [{ pointer: `/eventTypes/${i}`, message: 'names no event type of this room' }]));
    if (missing.length > 0) {
      const unknown = eventTypes.filter((n) => !known.has(n)).join(', ');
      throw new RoomcastError('event_type.not_found', { detail: `Room ${room.code} has no event type ${unknown}`, errors: missing });
    }
    const { db, routing } = this.#deps;
    const { result: rows, generation } = await routing.changeAndRepublish(`publisher ${clientId} granted ${names.join(',')} in room ${room.id}`, async () => {
      const ids = await db.$transaction(async (tx) => {
        const out: string[] = [];
        for (const t of types) {
          const row = await tx.publisherContract.upsert({
            where: { applicationId_eventTypeId: { applicationId: application.id, eventTypeId: t.id } },
            create: { id: newId('pub'), roomId: room.id, applicationId: application.id, eventTypeId: t.id },
            update: { revokedAt: null },
            select: { id: true },
          });
          out.push(row.id);
        }
        return out;
      });
      return db.publisherContract.findMany({ where: { id: { in: ids } }, include: INCLUDE, orderBy: { createdAt: 'asc' } });
    });
    return { contracts: rows.map(contractView), generation };
  }

  /** The contract if the caller may see it (see the header); otherwise contract.not_found. */
  async visible(p: Principal, id: string): Promise<ContractRow> {
    const c = await this.#deps.db.publisherContract.findUnique({ where: { id }, include: INCLUDE });
    const grantee = c ? memberKey(clientMember(c.application.clientId)) : '';
    if (!c || !(actsFor(p, memberKey(c.room.member)) || p.clientId === c.application.clientId || (p.role === 'MEMBER_ADMIN' && p.member === grantee))) {
      throw new RoomcastError('contract.not_found', { detail: `No publisher contract ${id}` });
    }
    return c;
  }

  async #revoke(rows: ContractRow[], reason: string) {
    const { db, routing } = this.#deps;
    // Revoking an already revoked contract changes nothing, but the caller still gets a
    // generation to wait for: the current routing state, republished.
    const { result: after, generation } = await routing.changeAndRepublish(reason, async () => {
      const active = rows.filter((r) => r.revokedAt === null).map((r) => r.id);
      if (active.length > 0) await db.publisherContract.updateMany({ where: { id: { in: active }, revokedAt: null }, data: { revokedAt: new Date() } });
      return db.publisherContract.findMany({ where: { id: { in: rows.map((r) => r.id) } }, include: INCLUDE, orderBy: { createdAt: 'asc' } });
    });
    return { contracts: after.map(contractView), generation };
  }

  /** Only the room owner (or a global admin) revokes; a grantee who can see the contract gets 403. */
  async revokeContract(p: Principal, id: string) {
    const c = await this.visible(p, id);
    if (!actsFor(p, memberKey(c.room.member))) throw new RoomcastError('auth.forbidden', { detail: 'Only the room owner may revoke a publisher contract' });
    const { contracts, generation } = await this.#revoke([c], `publisher contract ${id} revoked`);
    return { contract: contracts[0] ?? contractView(c), generation };
  }

  /** Revokes the client's contracts in the room: for one event type, or all of them. */
  async revokeClient(room: RoomWithMember, clientId: string, eventType: string | undefined) {
    const rows = await this.#deps.db.publisherContract.findMany({
      where: { roomId: room.id, application: { clientId }, revokedAt: null, ...(eventType !== undefined ? { eventType: { name: eventType } } : {}) },
      include: INCLUDE,
    });
    if (rows.length === 0) throw new RoomcastError('contract.not_found', { detail: `${clientId} holds no active publisher contract${eventType ? ` for ${eventType}` : ''} in room ${room.code}` });
    return this.#revoke(rows, `publisher ${clientId} revoked ${eventType ?? 'all event types'} in room ${room.id}`);
  }

  async #list(where: Record<string, unknown>, q: ContractListQuery) {
    const rows = await this.#deps.db.publisherContract.findMany({
      where: {
        ...where,
        ...(q.eventType !== undefined ? { eventType: { name: q.eventType } } : {}),
        ...(q.includeRevoked ? {} : { revokedAt: null }),
      },
      include: INCLUDE,
      ...pageArgs(q),
    });
    const page = pageOf(rows, q.pageSize);
    return { contracts: page.items.map(contractView), nextPageToken: page.nextPageToken };
  }

  listRoom(room: RoomWithMember, q: ContractListQuery) {
    return this.#list({ roomId: room.id, ...(q.clientId !== undefined ? { application: { clientId: q.clientId } } : {}) }, q);
  }

  /**
   * Contracts held by clients: a global admin sees all (filterable), a member admin its
   * member's applications', an application its own. Asking for someone else's is refused.
   */
  listClient(p: Principal, q: ContractListQuery) {
    const forbidden = () => new RoomcastError('auth.forbidden', { detail: 'Only a global admin may list the publisher contracts of another member' });
    let application: Record<string, unknown> | undefined = q.clientId !== undefined ? { clientId: q.clientId } : undefined;
    if (p.role === 'APPLICATION') {
      if (q.clientId !== undefined && q.clientId !== p.clientId) throw forbidden();
      application = { clientId: p.clientId ?? '' };
    } else if (p.role === 'MEMBER_ADMIN') {
      if (q.clientId !== undefined && memberKey(clientMember(q.clientId)) !== p.member) throw forbidden();
      application = { ...(application ?? {}), member: clientMember(p.member ?? '') };
    }
    return this.#list({ ...(application ? { application } : {}), ...(q.roomId !== undefined ? { roomId: q.roomId } : {}) }, q);
  }
}
