/**
 * Publisher contracts: granted by the room owner's member admin (or a global admin; never by an application key) and revoked by the room owner under `/rooms/{roomId}/publishers`,
 * listed per room (owner, global admin) and per client under `/publishers` (the client's own
 * keys; global admins all). Changes answer the routing generation that carries them, so a
 * caller can wait until the ingress enforces them.
 */
import { RoomcastError, SEGMENT_RE } from '@roomcast/core';
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import { pageQueryProperties } from '../http/paging.ts';
import { problem } from '../http/problem-responses.ts';
import { memberKey, type Rooms } from '../rooms/rooms.ts';
import { type ContractListQuery, contractView, type Publishers } from './publishers.ts';

const seg = SEGMENT_RE.source.slice(1, -1);
const clientId = { type: 'string', maxLength: 255, pattern: `^${seg}/${seg}/${seg}/${seg}$`, description: 'INSTANCE/CLASS/MEMBER/APPLICATION' };
const eventType = { type: 'string', minLength: 1, maxLength: 63, pattern: SEGMENT_RE.source };

const contractSchema = {
  type: 'object',
  required: ['id', 'roomId', 'room', 'clientId', 'eventType', 'createdAt', 'revokedAt'],
  properties: {
    id: { type: 'string' },
    roomId: { type: 'string' },
    room: { type: 'string', description: 'INSTANCE/CLASS/MEMBER/ROOM' },
    clientId: { type: 'string' },
    eventType: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const changed = (description: string) => ({
  description,
  schema: { type: 'object', required: ['contracts', 'generation'], properties: { contracts: { type: 'array', items: contractSchema }, generation: { type: 'integer' } } },
});
const listed = { description: 'One page of contracts', schema: { type: 'object', required: ['contracts', 'nextPageToken'], properties: { contracts: { type: 'array', items: contractSchema }, nextPageToken: { type: ['string', 'null'] } } } };
const listFilters = { eventType, includeRevoked: { type: 'boolean', default: false }, ...pageQueryProperties };
const roomParam = { roomId: 'Room id (room_…)' };
const contractParam = { contractId: 'Publisher contract id (pub_…)' };
const noRoom = problem('No such room, or not visible to the caller');

export function publisherRoutes(router: ApiRouter, rooms: Rooms, publishers: Publishers): void {
  router.add<{ clientId: string; eventTypes: string[] }>({
    method: 'post',
    path: `${ADMIN_BASE}/rooms/{roomId}/publishers`,
    operationId: 'grantPublisher',
    summary: 'Let a client publish event types into the room (room owner); idempotent',
    tags: ['publishers'],
    params: roomParam,
    audit: 'contract.grant',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['clientId', 'eventTypes'],
      properties: { clientId, eventTypes: { type: 'array', minItems: 1, maxItems: 100, items: eventType } },
    },
    responses: {
      200: changed('The contracts, active, and the routing generation that carries them'),
      403: problem("An application key: contracts are granted by the room owner's member admin or a global admin"),
      404: problem('No such room, application or event type'),
    },
    handler: async (c, { body, params, principal }) => {
      setAuditTarget(c, params.roomId ?? '');
      const room = await rooms.visible(principal, params.roomId ?? '');
      setAuditTarget(c, room.id, memberKey(room.member), { clientId: body.clientId, eventTypes: body.eventTypes });
      // Who may publish into a room is the owner member's administrative decision: an
      // application key (its own or another's) cannot widen it — decision 0023.
      if (principal.role === 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: "Publisher contracts are granted by the room owner's member admin or a global admin" });
      return c.json(await publishers.grant(room, body.clientId, body.eventTypes));
    },
  });

  router.add<never, ContractListQuery>({
    method: 'get',
    path: `${ADMIN_BASE}/rooms/{roomId}/publishers`,
    operationId: 'listRoomPublishers',
    summary: "The room's publisher contracts (room owner, global admin)",
    tags: ['publishers'],
    params: roomParam,
    query: { type: 'object', additionalProperties: false, properties: { clientId, ...listFilters } },
    responses: { 200: listed, 404: noRoom },
    handler: async (c, { query, params, principal }) => c.json(await publishers.listRoom(await rooms.visible(principal, params.roomId ?? ''), query)),
  });

  router.add<never, { clientId: string; eventType?: string }>({
    method: 'delete',
    path: `${ADMIN_BASE}/rooms/{roomId}/publishers`,
    operationId: 'revokePublisher',
    summary: "Revoke a client's contracts in the room: one event type, or all when eventType is absent (room owner)",
    tags: ['publishers'],
    params: roomParam,
    audit: 'contract.revoke',
    query: { type: 'object', additionalProperties: false, required: ['clientId'], properties: { clientId, eventType } },
    responses: { 200: changed('The revoked contracts and the routing generation from which the ingress refuses'), 404: problem('No such room, or no active contract') },
    handler: async (c, { query, params, principal }) => {
      setAuditTarget(c, params.roomId ?? '');
      const room = await rooms.visible(principal, params.roomId ?? '');
      setAuditTarget(c, room.id, memberKey(room.member), { clientId: query.clientId, ...(query.eventType ? { eventType: query.eventType } : {}) });
      return c.json(await publishers.revokeClient(room, query.clientId, query.eventType));
    },
  });

  router.add<never, ContractListQuery>({
    method: 'get',
    path: `${ADMIN_BASE}/publishers`,
    operationId: 'listClientPublishers',
    summary: "Publisher contracts held by clients: the caller's own (application, member admin) or anyone's (global admin)",
    tags: ['publishers'],
    query: { type: 'object', additionalProperties: false, properties: { clientId, roomId: { type: 'string', maxLength: 64 }, ...listFilters } },
    responses: { 200: listed },
    handler: async (c, { query, principal }) => c.json(await publishers.listClient(principal, query)),
  });

  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/publishers/{contractId}`,
    operationId: 'getPublisher',
    summary: 'One publisher contract (room owner, grantee, global admin)',
    tags: ['publishers'],
    params: contractParam,
    responses: { 200: { description: 'The contract', schema: contractSchema }, 404: problem('No such contract, or not visible to the caller') },
    handler: async (c, { params, principal }) => c.json(contractView(await publishers.visible(principal, params.contractId ?? ''))),
  });

  router.add({
    method: 'delete',
    path: `${ADMIN_BASE}/publishers/{contractId}`,
    operationId: 'revokePublisherContract',
    summary: 'Revoke one publisher contract (room owner); revoking again changes nothing',
    tags: ['publishers'],
    params: contractParam,
    audit: 'contract.revoke',
    responses: {
      200: { description: 'The revoked contract and the routing generation from which the ingress refuses', schema: { ...contractSchema, properties: { ...contractSchema.properties, generation: { type: 'integer' } } } },
      404: problem('No such contract, or not visible to the caller'),
    },
    handler: async (c, { params, principal }) => {
      setAuditTarget(c, params.contractId ?? '');
      const { contract, generation } = await publishers.revokeContract(principal, params.contractId ?? '');
      setAuditTarget(c, contract.id, contract.room.split('/').slice(0, 3).join('/'), { clientId: contract.clientId, eventType: contract.eventType });
      return c.json({ ...contract, generation });
    },
  });
}
