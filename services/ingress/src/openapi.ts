/** OpenAPI paths served by the ingress. */
import { govstackClientHeader, govstackParams, type OpenApiPaths, problemResponseRef } from '@roomcast/http';

export const ingressOpenApi: OpenApiPaths = {
  '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}': {
    parameters: [govstackClientHeader, ...govstackParams, { name: 'eventType', in: 'path', required: true, schema: { type: 'string' } }],
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
              properties: { eventType: { type: 'string' }, event: { type: 'object' }, key: { type: 'string', description: 'FIFO key when the event type has no key attribute' } },
            },
          },
        },
      },
      responses: {
        201: {
          description: 'Stored in Kafka',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['id'],
                properties: { id: { type: 'string', format: 'uuid' }, partition: { type: 'integer' }, sequence: { type: 'integer', description: 'Offset within the partition' } },
              },
            },
          },
        },
        400: problemResponseRef('Invalid request or event'),
        401: problemResponseRef('Not authenticated'),
        403: problemResponseRef('Client mismatch or no publisher contract'),
        404: problemResponseRef('Unknown room or event type'),
        413: problemResponseRef('Body too large'),
        415: problemResponseRef('Not JSON'),
        503: problemResponseRef('Kafka unavailable; retry'),
      },
    },
  },
};
