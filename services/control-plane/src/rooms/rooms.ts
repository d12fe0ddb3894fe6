/**
 * Rooms: a member asks for a room, a global admin approves it, and approval creates the room's
 * Kafka topic and urgent lane before the routing contract names the room.
 *
 *   create ──▶ PENDING ──approve (topics ensured, then status)──▶ APPROVED ──delete (no event types)──▶ gone
 *                 └──────────────────────────delete (reject)─────────────────────────────────────────▶ gone
 *
 * Approval is idempotent: topics are created only when missing and the status moves only from
 * PENDING, so approving twice, or again after a crash between topic creation and the database
 * update, converges on the same state. Rooms addressed by id are invisible (404, as for a
 * missing id) to callers that neither act for the owning member nor are global admins.
 */
import { type Logger, newId, RoomcastError, type RoomAddress } from '@roomcast/core';
import { Prisma, type PrismaClient } from '@roomcast/db';
import type { MemberModel, RoomModel } from '@roomcast/db';
import type { Principal } from '@roomcast/http';
import { deleteTopics, ensureTopics, type Kafka } from '@roomcast/kafka';
import { actsFor } from '../http/access.ts';
import { type PageQuery, pageArgs, pageOf } from '../http/paging.ts';
import type { RoutingPublisher } from '../routing/types.ts';
import type { RoomLookup } from './room-lookup.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Per-room retention bounds: at least a week (the retry window plus room to replay), at most ten years. */
export const MIN_ROOM_RETENTION_MS = 7 * DAY_MS;
export const MAX_ROOM_RETENTION_MS = 3650 * DAY_MS;

export type RoomWithMember = RoomModel & { member: MemberModel };

export interface RoomView {
  id: string;
  instance: string;
  memberClass: string;
  memberCode: string;
  room: string;
  status: 'PENDING' | 'APPROVED';
  partitions: number;
  retentionMs: number;
  autoApprove: boolean;
  description: string | null;
  createdAt: string;
  approvedAt: string | null;
}

export function memberKey(m: { instance: string; memberClass: string; memberCode: string }): string {
  return `${m.instance}/${m.memberClass}/${m.memberCode}`;
}

/** The room as callers see it; a pending room without its own retention shows the platform default. */
export function roomView(r: RoomWithMember, defaultRetentionMs: number): RoomView {
  return {
    id: r.id,
    instance: r.member.instance,
    memberClass: r.member.memberClass,
    memberCode: r.member.memberCode,
    room: r.code,
    status: r.status,
    partitions: r.partitions,
    retentionMs: r.retentionMs === null ? defaultRetentionMs : Number(r.retentionMs),
    autoApprove: r.autoApprove,
    description: r.description,
    createdAt: r.createdAt.toISOString(),
    approvedAt: r.approvedAt?.toISOString() ?? null,
  };
}

function prismaCode(err: unknown): string | undefined {
  return err instanceof Prisma.PrismaClientKnownRequestError ? err.code : undefined;
}

export interface CreateRoomInput {
  partitions?: number;
  retentionMs?: number;
  autoApprove?: boolean;
  description?: string | null;
}

export interface RoomListQuery extends PageQuery {
  member?: string;
  status?: 'PENDING' | 'APPROVED';
}

export interface RoomPatch {
  description?: string | null;
  autoApprove?: boolean;
}

export interface RoomsDeps {
  db: PrismaClient;
  kafka: Kafka;
  lookup: RoomLookup;
  routing: RoutingPublisher;
  logger: Logger;
  /** Platform default topic retention (ROOMCAST_TOPIC_RETENTION_MS). */
  retentionMs: number;
  defaultPartitions: number;
}

export class Rooms {
  readonly #deps: RoomsDeps;
  constructor(deps: RoomsDeps) {
    this.#deps = deps;
  }

  /** The room as callers see it, with the platform's default retention for a pending room. */
  view(r: RoomWithMember): RoomView {
    return roomView(r, this.#deps.retentionMs);
  }

  /** The caller's ownership of `address` is checked by the route (from the body, before any lookup). */
  async create(address: RoomAddress, input: CreateRoomInput): Promise<RoomWithMember> {
    const { db, lookup, defaultPartitions } = this.#deps;
    const member = await lookup.findMember(address.instance, address.memberClass, address.memberCode);
    if (member.status !== 'APPROVED') throw new RoomcastError('member.invalid_state', { detail: `Member ${memberKey(member)} is ${member.status}; only approved members own rooms` });
    try {
      return await db.room.create({
        data: {
          id: newId('room'),
          memberId: member.id,
          code: address.room,
          topic: lookup.topicForNewRoom(address),
          partitions: input.partitions ?? defaultPartitions,
          retentionMs: input.retentionMs === undefined ? null : BigInt(input.retentionMs),
          autoApprove: input.autoApprove ?? false,
          description: input.description ?? null,
        },
        include: { member: true },
      });
    } catch (err) {
      if (prismaCode(err) === 'P2002') throw new RoomcastError('room.already_exists', { detail: `Member ${memberKey(member)} already has a room ${address.room}` });
      throw err;
    }
  }

  /** The room with this id if the caller may see it; otherwise the same 404 as for a missing id. */
  async visible(p: Principal, roomId: string): Promise<RoomWithMember> {
    const room = await this.#deps.db.room.findUnique({ where: { id: roomId }, include: { member: true } });
    if (!room || !actsFor(p, memberKey(room.member))) throw new RoomcastError('room.not_found', { detail: `No room ${roomId}` });
    return room;
  }

  async #ensureTopics(room: RoomWithMember, retentionMs: number): Promise<void> {
    const { topic, urgentTopic } = this.#deps.lookup.topicsOf(room);
    await ensureTopics(this.#deps.kafka, [
      { topic, partitions: room.partitions, retentionMs },
      { topic: urgentTopic, partitions: room.partitions, retentionMs },
    ]);
  }

  #retentionOf(room: RoomWithMember): number {
    return room.retentionMs === null ? this.#deps.retentionMs : Number(room.retentionMs);
  }

  /**
   * Creates the topics (when missing), then records the approval with the retention the topics
   * were created with. Returns the room and, when the approval changed anything, the generation.
   */
  async approve(roomId: string): Promise<{ room: RoomWithMember; generation: number | null }> {
    const { db, routing } = this.#deps;
    const room = await db.room.findUnique({ where: { id: roomId }, include: { member: true } });
    if (!room) throw new RoomcastError('room.not_found', { detail: `No room ${roomId}` });
    const retentionMs = this.#retentionOf(room);
    try {
      await this.#ensureTopics(room, retentionMs);
    } catch (err) {
      throw new RoomcastError('dependency.unavailable', { detail: 'The room topics could not be created; approving again is safe', cause: err });
    }
    const { result, generation } = await routing.changeAndRepublish(
      (r) => (r.moved > 0 ? `room ${roomId} approved` : undefined),
      async () => {
        // Only a pending room moves: a second approval (or one racing with this) changes nothing.
        const moved = await db.room.updateMany({
          where: { id: roomId, status: 'PENDING' },
          data: { status: 'APPROVED', approvedAt: new Date(), retentionMs: BigInt(retentionMs) },
        });
        const approved = await db.room.findUnique({ where: { id: roomId }, include: { member: true } });
        if (!approved) throw new RoomcastError('room.not_found', { detail: `No room ${roomId}` });
        return { moved: moved.count, approved };
      },
    );
    return { room: result.approved, generation };
  }

  /** Global admins list every room (optionally one member's); everyone else their own member's. */
  async list(p: Principal, q: RoomListQuery) {
    let member = q.member;
    if (p.role !== 'GLOBAL_ADMIN') {
      if (member !== undefined && member !== p.member) throw new RoomcastError('auth.forbidden', { detail: 'Only a global admin may list the rooms of another member' });
      member = p.member;
      if (member === undefined) throw new RoomcastError('auth.forbidden', { detail: 'This key belongs to no member' });
    }
    const [instance, memberClass, memberCode] = member?.split('/') ?? [];
    const rows = await this.#deps.db.room.findMany({
      where: {
        ...(member !== undefined ? { member: { instance: instance ?? '', memberClass: memberClass ?? '', memberCode: memberCode ?? '' } } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
      },
      include: { member: true },
      ...pageArgs(q),
    });
    const page = pageOf(rows, q.pageSize);
    return { rooms: page.items.map((r) => this.view(r)), nextPageToken: page.nextPageToken };
  }

  /** Description and auto-approval are control-plane settings: the routing contract does not change. */
  async update(room: RoomWithMember, patch: RoomPatch): Promise<RoomWithMember> {
    try {
      return await this.#deps.db.room.update({
        where: { id: room.id },
        data: {
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.autoApprove !== undefined ? { autoApprove: patch.autoApprove } : {}),
        },
        include: { member: true },
      });
    } catch (err) {
      if (prismaCode(err) === 'P2025') throw new RoomcastError('room.not_found', { detail: `No room ${room.id}` });
      throw err;
    }
  }

  /**
   * Deletes a room without event types, and its topics. Topics go first: should the row then
   * survive (a concurrent event type, a crash), the room is still there and approving it again
   * recreates its topics, whereas a row deleted before its topics would leave a topic that a
   * later room of the same name would inherit, events and all.
   */
  async delete(room: RoomWithMember): Promise<{ generation: number | null }> {
    const { db, kafka, lookup, logger, routing } = this.#deps;
    const hasTypes = () => new RoomcastError('room.has_event_types', { detail: `Room ${room.code} still has event types; delete them first` });
    if ((await db.eventType.count({ where: { roomId: room.id } })) > 0) throw hasTypes();
    const { topic, urgentTopic } = lookup.topicsOf(room);
    try {
      await deleteTopics(kafka, [topic, urgentTopic]);
    } catch (err) {
      throw new RoomcastError('dependency.unavailable', { detail: 'The room topics could not be deleted; the room is unchanged', cause: err });
    }
    const { generation } = await routing.changeAndRepublish(
      () => (room.status === 'APPROVED' ? `room ${room.id} deleted` : undefined),
      async () => {
        try {
          await db.room.delete({ where: { id: room.id } });
        } catch (err) {
          const code = prismaCode(err);
          if (code === 'P2025') throw new RoomcastError('room.not_found', { detail: `No room ${room.id}` });
          if (code === 'P2003') {
            // An event type arrived between the check and the delete: put the topics back (should
            // that fail too, approving the room again restores them).
            if (room.status === 'APPROVED') {
              await this.#ensureTopics(room, this.#retentionOf(room)).catch((e: unknown) => logger.error('room topics not restored', { roomId: room.id, error: e }));
            }
            throw hasTypes();
          }
          throw err;
        }
      },
    );
    return { generation };
  }
}
