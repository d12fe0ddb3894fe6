/**
 * GovStack PubSub event-type routes, with the paths, methods and status codes of the spec:
 * POST …/eventType (200, 400, 409), GET …/eventType (200 with the names, 204 when none),
 * GET …/eventType/{eventType} (200, 204 when missing), DELETE (204, 404); plus Roomcast's
 * PUT …/eventType/{eventType} for a new schema version.
 *
 * Changes are the room owner's: ownership is decided from the path before anything is looked
 * up, so another member gets 403 whether or not the room exists. Reads are open to every
 * authenticated caller, as the directory lists approved rooms' event types anyway.
 */
import { type RoomAddress, RoomcastError, roomKey, SEGMENT_RE } from '@roomcast/core';
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import type { Context } from 'hono';
import { requireRoomOwner } from '../http/access.ts';
import { parseSchemaInput } from './event-type-schema.ts';
import { CLASSIFICATIONS, type EventTypeExtensions, type EventTypes, MESSAGE_TYPES, PRIORITIES } from './event-types.ts';
import { problem } from '../http/problem-responses.ts';
import { memberKey } from './rooms.ts';

const BASE = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/api/v1/eventType';
const segment = { type: 'string', minLength: 1, maxLength: 63, pattern: SEGMENT_RE.source };
const params = { applicationCode: 'The room code', eventType: 'Event type name' };

const extensions = {
  keyAttribute: { type: ['string', 'null'], maxLength: 256, description: 'JSON pointer into the event naming its FIFO key, e.g. /motherId' },
  classification: { type: 'string', enum: [...CLASSIFICATIONS], description: 'Data classification (default INTERNAL)' },
  priority: { type: 'string', enum: [...PRIORITIES], description: 'Default priority (default NORMAL); HIGH and CRITICAL use the urgent lane' },
  messageType: { type: 'string', enum: [...MESSAGE_TYPES], description: 'default EVENT' },
  description: { type: ['string', 'null'], maxLength: 2000 },
};
const schemaField = {
  type: ['object', 'string'],
  maxLength: 262_144,
  description: 'The JSON Schema (draft-07, or 2020-12 by $schema), as an object or as a string holding it',
};

interface EventTypeBody extends EventTypeExtensions {
  eventType?: string;
  schema: unknown;
}

const eventTypeSchema = {
  type: 'object',
  required: ['eventType', 'schema', 'keyAttribute', 'classification', 'priority', 'messageType', 'description', 'schemaId', 'schemaVersion'],
  properties: {
    eventType: { type: 'string' },
    schema: { type: 'object' },
    keyAttribute: { type: ['string', 'null'] },
    classification: { type: 'string', enum: [...CLASSIFICATIONS] },
    priority: { type: 'string', enum: [...PRIORITIES] },
    messageType: { type: 'string', enum: [...MESSAGE_TYPES] },
    description: { type: ['string', 'null'] },
    schemaId: { type: 'integer', description: 'Global id of the schema in the registry (carried by records)' },
    schemaVersion: { type: 'integer', description: 'Version under the subject' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

function addressOf(p: Record<string, string>): RoomAddress {
  return { instance: p.instanceId ?? '', memberClass: p.memberClass ?? '', memberCode: p.memberCode ?? '', room: p.applicationCode ?? '' };
}

function extensionsOf(body: EventTypeBody): EventTypeExtensions {
  const ext: EventTypeExtensions = {};
  if (body.keyAttribute !== undefined) ext.keyAttribute = body.keyAttribute === '' ? null : body.keyAttribute;
  if (body.classification !== undefined) ext.classification = body.classification;
  if (body.priority !== undefined) ext.priority = body.priority;
  if (body.messageType !== undefined) ext.messageType = body.messageType;
  if (body.description !== undefined) ext.description = body.description;
  return ext;
}

function audit(c: Context, address: RoomAddress, name: string, detail?: Record<string, unknown>) {
  setAuditTarget(c, `${roomKey(address)}/${name}`, memberKey(address), detail);
}

export function eventTypeRoutes(router: ApiRouter, eventTypes: EventTypes): void {
  router.add<EventTypeBody>({
    method: 'post',
    path: BASE,
    operationId: 'createEventType',
    summary: 'Create an event type in the room (room owner); its schema goes to the registry',
    tags: ['govstack', 'admin'],
    govstackClient: true,
    params,
    audit: 'event_type.create',
    body: { type: 'object', additionalProperties: false, required: ['eventType', 'schema'], properties: { eventType: segment, schema: schemaField, ...extensions } },
    responses: {
      200: { description: 'Event type created', schema: eventTypeSchema },
      404: problem('No such room'),
      409: problem('Event type already exists (event_type.already_exists), or the room is not approved yet'),
    },
    handler: async (c, { body, params: p, principal }) => {
      const address = addressOf(p);
      const name = body.eventType as string;
      audit(c, address, name);
      requireRoomOwner(principal, address);
      const schema = parseSchemaInput(body.schema);
      const { view } = await eventTypes.create(address, name, schema, extensionsOf(body));
      audit(c, address, name, { schemaId: view.schemaId, classification: view.classification });
      return c.json(view, 200);
    },
  });

  router.add({
    method: 'get',
    path: BASE,
    operationId: 'getEventTypeList',
    summary: 'Names of the event types of the room',
    tags: ['govstack', 'admin'],
    govstackClient: true,
    params,
    responses: {
      200: { description: 'Event type list', schema: { type: 'array', items: { type: 'string', examples: ['newBirth'] } } },
      204: { description: 'The room has no event types' },
      404: problem('No such room'),
    },
    handler: async (c, { params: p, principal }) => {
      const names = await eventTypes.listNames(await eventTypes.readableRoom(principal, addressOf(p)));
      return names.length === 0 ? c.body(null, 204) : c.json(names);
    },
  });

  router.add({
    method: 'get',
    path: `${BASE}/{eventType}`,
    operationId: 'getEventType',
    summary: 'One event type with its current schema',
    tags: ['govstack', 'admin'],
    govstackClient: true,
    params,
    responses: { 200: { description: 'Event type details', schema: eventTypeSchema }, 204: { description: 'No such event type' }, 404: problem('No such room') },
    handler: async (c, { params: p, principal }) => {
      const view = await eventTypes.read(await eventTypes.readableRoom(principal, addressOf(p)), p.eventType ?? '');
      return view ? c.json(view) : c.body(null, 204);
    },
  });

  router.add<EventTypeBody>({
    method: 'put',
    path: `${BASE}/{eventType}`,
    operationId: 'changeEventType',
    summary: 'Roomcast: register a new schema version (must be compatible with the current one) and change extensions',
    description: 'Extension fields that are present replace their values (null clears keyAttribute or description); absent ones are kept.',
    tags: ['admin'],
    govstackClient: true,
    params,
    audit: 'event_type.update',
    body: { type: 'object', additionalProperties: false, required: ['schema'], properties: { eventType: segment, schema: schemaField, ...extensions } },
    responses: {
      200: { description: 'The event type with its new schema version', schema: eventTypeSchema },
      404: problem('No such room or event type'),
      409: problem('The registry found the schema incompatible (event_type.schema_incompatible); the detail quotes its reason'),
    },
    handler: async (c, { body, params: p, principal }) => {
      const address = addressOf(p);
      const name = p.eventType ?? '';
      audit(c, address, name);
      requireRoomOwner(principal, address);
      if (body.eventType !== undefined && body.eventType !== name) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/eventType', message: 'must equal the event type of the path' }] });
      }
      const schema = parseSchemaInput(body.schema);
      const { view } = await eventTypes.change(address, name, schema, extensionsOf(body));
      audit(c, address, name, { schemaId: view.schemaId, schemaVersion: view.schemaVersion, classification: view.classification });
      return c.json(view);
    },
  });

  router.add({
    method: 'delete',
    path: `${BASE}/{eventType}`,
    operationId: 'deleteEventType',
    summary: 'Delete an event type (room owner): refused while it has subscriptions; its publisher contracts go with it',
    tags: ['govstack', 'admin'],
    govstackClient: true,
    params,
    audit: 'event_type.delete',
    responses: { 204: { description: 'Event type deleted' }, 404: problem('Event type missing'), 409: problem('The event type still has subscriptions (event_type.in_use)') },
    handler: async (c, { params: p, principal }) => {
      const address = addressOf(p);
      const name = p.eventType ?? '';
      audit(c, address, name);
      requireRoomOwner(principal, address);
      const { contracts } = await eventTypes.delete(address, name);
      audit(c, address, name, { contractsRemoved: contracts });
      return c.body(null, 204);
    },
  });
}
