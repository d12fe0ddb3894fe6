/**
 * Room administration: `/api/admin/v1/rooms…`. A member (its member admin or any of its
 * applications) asks for a room; a global admin approves it. Rooms addressed by id answer 404
 * to callers that do not act for the owning member, exactly as for a missing id.
 */
import { SEGMENT_RE } from '@roomcast/core';
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import { requireGlobalAdmin, requireRoomOwner } from '../http/access.ts';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import { pageQueryProperties } from '../http/paging.ts';
import { problem } from '../http/problem-responses.ts';
import { MAX_ROOM_RETENTION_MS, MIN_ROOM_RETENTION_MS, memberKey, type RoomListQuery, type RoomPatch, type Rooms } from './rooms.ts';

const segment = { type: 'string', minLength: 1, maxLength: 63, pattern: SEGMENT_RE.source };
const description = { type: ['string', 'null'], maxLength: 2000 };
const autoApprove = { type: 'boolean', description: "Subscriptions to this room start active without the owner's approval" };

export const roomSchema = {
  type: 'object',
  required: ['id', 'instance', 'memberClass', 'memberCode', 'room', 'status', 'partitions', 'retentionMs', 'autoApprove', 'description', 'createdAt', 'approvedAt'],
  properties: {
    id: { type: 'string' },
    instance: { type: 'string' },
    memberClass: { type: 'string' },
    memberCode: { type: 'string' },
    room: { type: 'string', description: 'Room code: the applicationCode of GovStack paths' },
    status: { type: 'string', enum: ['PENDING', 'APPROVED'] },
    partitions: { type: 'integer' },
    retentionMs: { type: 'integer', description: 'Topic retention (the platform default until approval fixes it)' },
    autoApprove: { type: 'boolean' },
    description: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    approvedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

interface CreateBody {
  instance: string;
  memberClass: string;
  memberCode: string;
  room: string;
  partitions?: number;
  retentionMs?: number;
  autoApprove?: boolean;
  description?: string | null;
}

const roomParam = { roomId: 'Room id (room_…)' };

export function roomRoutes(router: ApiRouter, rooms: Rooms): void {
  const view = (r: Parameters<Rooms['view']>[0]) => rooms.view(r);

  router.add<CreateBody>({
    method: 'post',
    path: `${ADMIN_BASE}/rooms`,
    operationId: 'createRoom',
    summary: 'Ask for a room for a member (pending until a global admin approves it)',
    description: "The member's own keys (member admin or any of its applications) and global admins may create rooms for it.",
    tags: ['rooms'],
    audit: 'room.create',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['instance', 'memberClass', 'memberCode', 'room'],
      properties: {
        instance: segment,
        memberClass: segment,
        memberCode: segment,
        room: segment,
        partitions: { type: 'integer', minimum: 1, maximum: 1000, description: 'Default: ROOMCAST_DEFAULT_PARTITIONS' },
        retentionMs: { type: 'integer', minimum: MIN_ROOM_RETENTION_MS, maximum: MAX_ROOM_RETENTION_MS, description: 'Default: ROOMCAST_TOPIC_RETENTION_MS' },
        autoApprove: { ...autoApprove, default: false },
        description,
      },
    },
    responses: { 201: { description: 'The pending room', schema: roomSchema }, 404: problem('No such member (global admins)'), 409: problem('The member already has this room, or is not approved') },
    handler: async (c, { body, principal }) => {
      const address = { instance: body.instance, memberClass: body.memberClass, memberCode: body.memberCode, room: body.room };
      setAuditTarget(c, `${memberKey(address)}/${address.room}`, memberKey(address));
      requireRoomOwner(principal, address);
      const room = await rooms.create(address, body);
      setAuditTarget(c, room.id, memberKey(address), { room: address.room, partitions: room.partitions });
      return c.json(view(room), 201);
    },
  });

  router.add<never, RoomListQuery>({
    method: 'get',
    path: `${ADMIN_BASE}/rooms`,
    operationId: 'listRooms',
    summary: "Rooms: all of them for global admins, the caller's member's otherwise",
    tags: ['rooms'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        member: { type: 'string', maxLength: 200, pattern: '^[^/]+/[^/]+/[^/]+$', description: 'INSTANCE/CLASS/MEMBER (others than global admins: only their own)' },
        status: { type: 'string', enum: ['PENDING', 'APPROVED'] },
        ...pageQueryProperties,
      },
    },
    responses: {
      200: {
        description: 'One page of rooms',
        schema: { type: 'object', required: ['rooms', 'nextPageToken'], properties: { rooms: { type: 'array', items: roomSchema }, nextPageToken: { type: ['string', 'null'] } } },
      },
    },
    handler: async (c, { query, principal }) => c.json(await rooms.list(principal, query)),
  });

  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/rooms/{roomId}`,
    operationId: 'getRoom',
    summary: 'One room',
    tags: ['rooms'],
    params: roomParam,
    responses: { 200: { description: 'The room', schema: roomSchema }, 404: problem('No such room, or not visible to the caller') },
    handler: async (c, { params, principal }) => c.json(view(await rooms.visible(principal, params.roomId ?? ''))),
  });

  router.add<RoomPatch>({
    method: 'patch',
    path: `${ADMIN_BASE}/rooms/{roomId}`,
    operationId: 'updateRoom',
    summary: "Change a room's description or auto-approval",
    tags: ['rooms'],
    params: roomParam,
    audit: 'room.update',
    body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { description, autoApprove } },
    responses: { 200: { description: 'The room', schema: roomSchema }, 404: problem('No such room, or not visible to the caller') },
    handler: async (c, { body, params, principal }) => {
      setAuditTarget(c, params.roomId ?? '');
      const room = await rooms.visible(principal, params.roomId ?? '');
      setAuditTarget(c, room.id, memberKey(room.member), { ...(body.autoApprove !== undefined ? { autoApprove: body.autoApprove } : {}), description: body.description !== undefined });
      return c.json(view(await rooms.update(room, body)));
    },
  });

  router.add({
    method: 'delete',
    path: `${ADMIN_BASE}/rooms/{roomId}`,
    operationId: 'deleteRoom',
    summary: 'Delete a room and its topics (refused while it has event types); also rejects a pending room',
    tags: ['rooms'],
    params: roomParam,
    audit: 'room.delete',
    responses: { 204: { description: 'Deleted' }, 404: problem('No such room, or not visible to the caller'), 409: problem('The room still has event types (room.has_event_types)') },
    handler: async (c, { params, principal }) => {
      setAuditTarget(c, params.roomId ?? '');
      const room = await rooms.visible(principal, params.roomId ?? '');
      setAuditTarget(c, room.id, memberKey(room.member), { room: room.code, status: room.status });
      await rooms.delete(room);
      return c.body(null, 204);
    },
  });

  router.add({
    method: 'post',
    path: `${ADMIN_BASE}/rooms/{roomId}/approve`,
    operationId: 'approveRoom',
    summary: "Approve a room (global admin): creates its topic and urgent lane; idempotent",
    tags: ['rooms'],
    params: roomParam,
    audit: 'room.approve',
    responses: {
      200: {
        description: 'The approved room and the routing generation that names it (null when it was approved already)',
        schema: { ...roomSchema, required: [...roomSchema.required, 'generation'], properties: { ...roomSchema.properties, generation: { type: ['integer', 'null'] } } },
      },
      404: problem('No such room'),
      503: problem('Kafka refused or did not answer; approving again is safe'),
    },
    handler: async (c, { params, principal }) => {
      setAuditTarget(c, params.roomId ?? '');
      requireGlobalAdmin(principal);
      const { room, generation } = await rooms.approve(params.roomId ?? '');
      setAuditTarget(c, room.id, memberKey(room.member), { room: room.code, partitions: room.partitions });
      return c.json({ ...view(room), generation });
    },
  });
}
