/** OpenAPI paths served by the ingress. */
import { govstackClientHeader, govstackParams, type OpenApiPaths, problemResponseRef } from '@roomcast/http';

const publishResultSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' }, partition: { type: 'integer' }, sequence: { type: 'integer', description: 'Offset within the partition' } },
};

const eventItemSchema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    sequence: { type: 'integer', description: 'Offset within the partition' },
    partition: { type: 'integer' },
    publisherId: {
      type: 'object',
      properties: { instanceId: { type: 'string' }, memberClass: { type: 'string' }, memberCode: { type: 'string' }, applicationCode: { type: 'string' } },
    },
    eventType: { type: 'string' },
    event: { type: 'object', description: 'The event; omitted for PHI, PII and CONFIDENTIAL event types (never kept outside Kafka)' },
    time: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: ['PUBLISHED', 'CANCELLED'] },
  },
};

const STATES = ['QUEUED', 'SENT', 'DELIVERED', 'ERRORED', 'FAILED', 'CANCELLED'];

/** Roomcast extension of getStatus: where the event is, per subscriber. */
const deliveriesSchema = {
  type: 'object',
  description: "Per-subscriber delivery state of the event: the room's subscriptions to its type (no attempt yet: QUEUED)",
  required: ['subscribers', 'delivered', 'failed', 'cancelled', 'pending', 'items'],
  properties: {
    subscribers: { type: 'integer' },
    delivered: { type: 'integer' },
    failed: { type: 'integer' },
    cancelled: { type: 'integer' },
    pending: { type: 'integer', description: 'QUEUED, SENT or ERRORED (retrying)' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['subscriptionId', 'subscriberId', 'mode', 'state', 'attempts'],
        properties: {
          subscriptionId: { type: 'string' },
          subscriberId: { type: 'string', description: 'Client id INSTANCE/CLASS/MEMBER/APPLICATION' },
          mode: { type: 'string', enum: ['PUSH', 'PULL', 'STREAM'] },
          state: { type: 'string', enum: STATES },
          attempts: { type: 'integer' },
          lastStatus: { type: ['integer', 'null'], description: 'HTTP status of the last attempt' },
          lastError: { type: ['string', 'null'] },
          updatedAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
};

const eventStatusSchema = { ...eventItemSchema, properties: { ...eventItemSchema.properties, deliveries: deliveriesSchema } };

export const ingressOpenApi: OpenApiPaths = {
  '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}': {
    parameters: [
      govstackClientHeader,
      ...govstackParams,
      { name: 'eventType', in: 'path', required: true, schema: { type: 'string' } },
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Event id chosen by the publisher (a UUID), as an alternative to `id` in the body',
        schema: { type: 'string', format: 'uuid' },
      },
    ],
    post: {
      tags: ['govstack'],
      operationId: 'publishEvent',
      summary: 'Publish an event into the room; acknowledged once Kafka has it (acks=all)',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['eventType', 'event'],
              properties: {
                eventType: { type: 'string' },
                event: { type: 'object' },
                id: {
                  type: 'string',
                  format: 'uuid',
                  description: 'Event id chosen by the publisher; publishing it again within the dedup window with the same payload answers the original result (200, Idempotent-Replayed)',
                },
                key: { type: 'string', description: 'FIFO key when the event type has no key attribute' } },
            },
          },
        },
      },
      responses: {
        201: {
          description: 'Stored in Kafka',
          content: {
            'application/json': {
              schema: publishResultSchema,
            },
          },
        },
        200: {
          description: 'Replay: this id was already published with the same payload; the original result, nothing produced again',
          headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
          content: { 'application/json': { schema: publishResultSchema } },
        },
        400: problemResponseRef('Invalid request or event'),
        401: problemResponseRef('Not authenticated'),
        403: problemResponseRef('Client mismatch or no publisher contract'),
        404: problemResponseRef('Unknown room or event type'),
        413: problemResponseRef('Body too large'),
        409: problemResponseRef('The id was already published with a different payload (publish.id_conflict), or is being published right now (publish.id_in_progress)'),
        415: problemResponseRef('Not JSON'),
        422: problemResponseRef('Validating the event against its schema would take longer than the ingress allows (publish.validation_too_costly); never retried'),
        429: problemResponseRef('Rate limit of the publisher or the room, or the publisher sent more body bytes than the ingress parses for it (publish.rate_limited); see Retry-After'),
        503: problemResponseRef('Kafka or Redis unavailable, no acknowledgement within the publish timeout, or too many costly validations waiting (publish.validation_busy); retry with the same id after Retry-After'),
      },
    },
  },
  '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}/batch': {
    parameters: [govstackClientHeader, ...govstackParams, { name: 'eventType', in: 'path', required: true, schema: { type: 'string' } }],
    post: {
      tags: ['roomcast'],
      operationId: 'publishEventBatch',
      summary: 'Publish many events of one event type; one result per item, in order (Roomcast extension)',
      description:
        'Every item goes through the same checks as a single publish and is produced concurrently with the others. The answer is 200 whenever the envelope is valid; each result carries the status the single route would have answered (201 stored, or a problem with absolute pointers /events/{index}/...). Retry-After is set when an item failed because Kafka was unavailable.',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['events'],
              additionalProperties: false,
              properties: {
                events: {
                  type: 'array',
                  minItems: 1,
                  maxItems: 500,
                  description: 'At most ROOMCAST_PUBLISH_BATCH_MAX_ITEMS items (default 500)',
                  items: {
                    type: 'object',
                    required: ['eventType', 'event'],
                    properties: { eventType: { type: 'string' }, event: { type: 'object' }, key: { type: 'string' }, id: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: 'One result per item, in the order of events',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['accepted', 'failed', 'results'],
                properties: {
                  accepted: { type: 'integer' },
                  failed: { type: 'integer' },
                  results: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['index', 'status'],
                      properties: {
                        index: { type: 'integer' },
                        status: { type: 'integer', description: '201 stored, 200 a replayed id (original result), else the 4xx/5xx the single route would answer' },
                        replayed: { type: 'boolean', description: 'true when the item replayed an id already published (no new record)' },
                        id: { type: 'string' },
                        partition: { type: 'integer' },
                        sequence: { type: 'integer' },
                        code: { type: 'string' },
                        title: { type: 'string' },
                        detail: { type: 'string' },
                        errors: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        400: problemResponseRef('Invalid envelope, or more events than the limit'),
        401: problemResponseRef('Not authenticated'),
        403: problemResponseRef('Client mismatch or no publisher contract'),
        404: problemResponseRef('Unknown room or event type'),
        413: problemResponseRef('Body too large'),
        415: problemResponseRef('Not JSON'),
        429: problemResponseRef('The publisher sent more body bytes than the ingress parses for it (publish.rate_limited); see Retry-After. Per-event limits answer inside the 200, per item'),
      },
    },
  },
  '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}/{eventId}': {
    parameters: [
      govstackClientHeader,
      ...govstackParams,
      { name: 'eventType', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'eventId', in: 'path', required: true, description: 'event id of event', schema: { type: 'string', format: 'uuid' } },
    ],
    get: {
      tags: ['govstack'],
      operationId: 'getStatus',
      summary: 'Status of an event the caller published (within the dedup window)',
      responses: {
        200: { description: 'Event status, with its delivery state per subscriber', content: { 'application/json': { schema: eventStatusSchema } } },
        401: problemResponseRef('Not authenticated'),
        403: problemResponseRef('Client mismatch'),
        404: problemResponseRef('Event missing (also for an event of another publisher)'),
      },
    },
    delete: {
      tags: ['govstack'],
      operationId: 'deleteEvent',
      summary: 'Cancel an event the caller published: no further delivery attempt starts',
      responses: {
        204: { description: 'Event processing stopped' },
        401: problemResponseRef('Not authenticated'),
        403: problemResponseRef('Client mismatch'),
        404: problemResponseRef('Event missing (also for an event of another publisher)'),
        503: problemResponseRef('Redis unavailable; retry'),
      },
    },
  },
};
