/**
 * The OpenAPI 3.1 document that `getOpenAPI?serviceCode=<event type>` answers: the PubSub calls
 * for one event type of one room (publish, status, cancel, subscribe, pull) with the event
 * type's JSON Schema embedded as the `event` property of the publish body. Pure.
 */
import type { RoomAddress } from '@roomcast/core';
import { EVENT_ITEM_SCHEMA } from '@roomcast/core';
import { PROBLEM_SCHEMA } from '@roomcast/http';
import { eventTypePaths } from './directory.ts';

export interface DescribedEventType {
  name: string;
  schemaId: number;
  schemaVersion: number;
  keyPointer: string | null;
  classification: string;
  priority: string;
  messageType: string;
  description: string | null;
}

/**
 * A schema embedded below the document root keeps its own local references (`#/definitions/…`)
 * resolvable only when it is its own resource: JSON Schema 2020-12 (OpenAPI 3.1's dialect) makes
 * `$id` the base of such references. A schema without `$id` that uses local references gets one.
 */
export function embeddableSchema(schema: Record<string, unknown>, schemaId: number): Record<string, unknown> {
  if (typeof schema.$id === 'string' || !JSON.stringify(schema).includes('"$ref":"#')) return schema;
  return { $id: `urn:roomcast:schema:${schemaId}`, ...schema };
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const json = (description: string, ref: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const eventIdParam = { name: 'eventId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'Id returned by the publish call' };
const clientParam = { $ref: '#/components/parameters/clientId' };

const clientIdSchema = {
  type: 'object',
  properties: { instanceId: { type: 'string' }, memberClass: { type: 'string' }, memberCode: { type: 'string' }, applicationCode: { type: 'string' } },
};

export function eventTypeOpenApi(o: { origin: string; address: RoomAddress; eventType: DescribedEventType; schema: Record<string, unknown> }): Record<string, unknown> {
  const t = o.eventType;
  const p = eventTypePaths(o.address, t.name);
  const room = `${o.address.instance}/${o.address.memberClass}/${o.address.memberCode}/${o.address.room}`;
  return {
    openapi: '3.1.0',
    info: {
      title: `${t.name} (room ${room})`,
      version: String(t.schemaVersion),
      description: t.description ?? `Publish and subscribe to ${t.name} events of room ${room}.`,
      'x-roomcast': { schemaId: t.schemaId, keyAttribute: t.keyPointer, classification: t.classification, priority: t.priority, messageType: t.messageType },
    },
    servers: [{ url: o.origin }],
    security: [{ apiKey: [] }],
    paths: {
      [p.publish]: {
        parameters: [clientParam],
        post: {
          operationId: 'publishEvent',
          summary: `Publish a ${t.name} event`,
          description: 'Acknowledged with 201 once the event is stored. The caller needs a publisher contract for this event type.',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PublishEvent' } } } },
          responses: {
            201: json('Stored; the event id', 'PublishEventResult'),
            400: problem('Invalid body, or the event does not match the schema'),
            401: problem('Not authenticated'),
            403: problem('X-GovStack-Client mismatch or no publisher contract'),
            404: problem('Unknown room or event type'),
            413: problem('Body too large'),
            415: problem('Not JSON'),
            503: problem('Not stored; retry'),
          },
        },
      },
      [p.event]: {
        parameters: [clientParam, eventIdParam],
        get: { operationId: 'getStatus', summary: 'Status of a published event', responses: { 200: json('Event status', 'EventItem'), 404: problem('Event missing') } },
        delete: { operationId: 'deleteEvent', summary: 'Stop processing of a published event', responses: { 204: { description: 'Processing stopped' }, 404: problem('Event missing') } },
      },
      [p.subscription]: {
        parameters: [clientParam],
        post: {
          operationId: 'addSub',
          summary: `Subscribe to ${t.name} (pending until the room owner approves, unless a grant allows it)`,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubscriptionItem' } } } },
          responses: { 200: json('Subscription created', 'SubscriptionItem'), 400: problem('Invalid request'), 409: problem('Already subscribed') },
        },
        get: { operationId: 'getSub', summary: 'Subscription details', responses: { 200: json('Subscription', 'SubscriptionItem'), 404: problem('Subscription missing') } },
        patch: {
          operationId: 'patchSub',
          summary: 'Update the subscription',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubscriptionItem' } } } },
          responses: { 201: json('Subscription', 'SubscriptionItem'), 400: problem('Invalid request'), 404: problem('Subscription missing') },
        },
        delete: { operationId: 'deleteSub', summary: 'Unsubscribe', responses: { 204: { description: 'Subscription deleted' }, 404: problem('Subscription missing') } },
      },
      [p.pull]: {
        parameters: [clientParam],
        get: { operationId: 'pullEvent', summary: 'Next unacknowledged event (pull subscriptions)', responses: { 200: json('Event', 'EventItem'), 404: problem('No event available') } },
      },
      [p.pullEvent]: {
        parameters: [clientParam, eventIdParam],
        delete: { operationId: 'confirmEvent', summary: 'Acknowledge a pulled event', responses: { 204: { description: 'Acknowledged' }, 404: problem('Event missing') } },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Roomcast API key (rck_…)' } },
      parameters: {
        clientId: { name: 'X-GovStack-Client', in: 'header', required: true, schema: { type: 'string' }, description: 'INSTANCE/CLASS/MEMBER/APPLICATION of the caller' },
      },
      schemas: {
        PublishEvent: {
          type: 'object',
          required: ['eventType', 'event'],
          properties: {
            eventType: { type: 'string', const: t.name },
            event: embeddableSchema(o.schema, t.schemaId),
            ...(t.keyPointer ? {} : { key: { type: 'string', description: 'FIFO key (events with one key keep their order)' } }),
          },
        },
        PublishEventResult: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', format: 'uuid' }, partition: { type: 'integer' }, sequence: { type: 'integer' } },
        },
        // The item a subscriber receives (packages/core event-item.ts), typed for this event type.
        EventItem: {
          ...EVENT_ITEM_SCHEMA,
          properties: { ...EVENT_ITEM_SCHEMA.properties, eventType: { type: 'string', const: t.name }, event: { $ref: '#/components/schemas/PublishEvent/properties/event' } },
        },
        SubscriptionItem: {
          type: 'object',
          required: ['eventType'],
          properties: {
            id: { type: 'string' },
            subscriberId: clientIdSchema,
            eventType: { type: 'string', const: t.name },
            delivery: { type: 'string', enum: ['PUSH', 'PULL'], default: 'PUSH' },
            options: {
              type: 'object',
              properties: { TTL: { type: 'integer', default: 3600 }, FIFO: { type: 'boolean', default: false }, pushUrl: { type: 'string', format: 'uri', description: 'Roomcast: push endpoint' } },
            },
          },
        },
        Problem: PROBLEM_SCHEMA,
      },
    },
  };
}
