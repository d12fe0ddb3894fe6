/**
 * Room data keys: `/api/admin/v1/rooms/{roomId}/data-keys…`. The room's owner (any of its
 * member's keys) or a global admin lists the keys (ids and versions, never key material) and
 * rotates the room's key; others get the same 404 as for a missing room.
 */
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import type { DataKeys } from './data-keys.ts';
import { problem } from '../http/problem-responses.ts';
import { memberKey, type Rooms } from './rooms.ts';

const keySchema = {
  type: 'object',
  required: ['keyId', 'version', 'masterKeyId', 'current', 'createdAt'],
  properties: {
    keyId: { type: 'string', description: 'What records encrypted with it carry in the rc-key-id header' },
    version: { type: 'integer', minimum: 1 },
    masterKeyId: { type: 'string', description: 'The master key it is wrapped under' },
    current: { type: 'boolean', description: 'New events of the room are encrypted with it; older keys only decrypt' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const roomParam = { roomId: 'Room id (room_…)' };

export function dataKeyRoutes(router: ApiRouter, rooms: Rooms, dataKeys: DataKeys): void {
  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/rooms/{roomId}/data-keys`,
    operationId: 'listRoomDataKeys',
    summary: "The room's data keys for classified payloads, newest first (ids only, never key material)",
    tags: ['rooms'],
    params: roomParam,
    responses: {
      200: { description: 'The keys', schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: keySchema } } } },
      404: problem('No such room, or not visible to the caller'),
    },
    handler: async (c, { params, principal }) => {
      const room = await rooms.visible(principal, params.roomId ?? '');
      return c.json({ keys: await dataKeys.list(room) });
    },
  });

  router.add({
    method: 'post',
    path: `${ADMIN_BASE}/rooms/{roomId}/data-keys/rotate`,
    operationId: 'rotateRoomDataKey',
    summary: "Give the room a new data key: new events are encrypted with it, older keys keep decrypting (nothing is re-published)",
    tags: ['rooms'],
    params: roomParam,
    audit: 'room.data_key_rotate',
    responses: {
      201: {
        description: 'The new current key and the routing generation that carries it',
        schema: { type: 'object', required: ['key', 'generation'], properties: { key: keySchema, generation: { type: 'integer' } } },
      },
      404: problem('No such room, or not visible to the caller'),
      409: problem('The room is not approved (room.not_approved), or no master key is configured (encryption.not_configured)'),
    },
    handler: async (c, { params, principal }) => {
      setAuditTarget(c, params.roomId ?? '');
      const room = await rooms.visible(principal, params.roomId ?? '');
      setAuditTarget(c, room.id, memberKey(room.member), { room: room.code });
      const { key, generation } = await dataKeys.rotate(room);
      setAuditTarget(c, room.id, memberKey(room.member), { room: room.code, keyId: key.keyId, version: key.version });
      return c.json({ key, generation }, 201);
    },
  });
}
