/** OpenAPI paths served by the control plane. */
import { govstackClientHeader, govstackParams, type OpenApiPaths, problemResponseRef } from '@roomcast/http';
import { ADMIN_BASE } from './admin-routes.ts';

const room = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/api/v1';
const params = [govstackClientHeader, ...govstackParams];
const eventTypeParam = { name: 'eventType', in: 'path', required: true, schema: { type: 'string' } };
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

export const controlPlaneOpenApi: OpenApiPaths = {
  [`${room}/eventType`]: {
    parameters: params,
    post: { tags: ['govstack'], operationId: 'createEventType', summary: 'Register an event type and its JSON Schema', responses: { 200: json('Created'), 400: problemResponseRef('Invalid request'), 409: problemResponseRef('Already exists') } },
    get: { tags: ['govstack'], operationId: 'listEventTypes', summary: 'List event types of the room', responses: { 200: json('Event types'), 204: { description: 'None' } } },
  },
  [`${room}/eventType/{eventType}`]: {
    parameters: [...params, eventTypeParam],
    get: { tags: ['govstack'], operationId: 'getEventType', summary: 'Event type with its schema', responses: { 200: json('Event type'), 204: { description: 'No such event type' } } },
  },
  [`${room}/subs`]: {
    parameters: params,
    get: { tags: ['govstack'], operationId: 'listSubscriptions', summary: "The caller's subscriptions in the room", responses: { 200: json('Subscriptions'), 404: problemResponseRef('None') } },
  },
  [`${room}/subs/{eventType}`]: {
    parameters: [...params, eventTypeParam],
    post: { tags: ['govstack'], operationId: 'subscribe', summary: 'Subscribe (pending until the room owner approves)', responses: { 200: json('Subscription with its signing secret, shown once'), 400: problemResponseRef('Invalid request'), 409: problemResponseRef('Already subscribed') } },
    get: { tags: ['govstack'], operationId: 'getSubscription', summary: 'One subscription', responses: { 200: json('Subscription'), 404: problemResponseRef('Not found') } },
  },
  [`${ADMIN_BASE}/rooms`]: { post: { tags: ['admin'], summary: 'Create a room (pending approval)', responses: { 201: json('Room') } } },
  [`${ADMIN_BASE}/rooms/{roomId}/approve`]: { post: { tags: ['admin'], summary: "Approve a room: creates its topic and urgent lane", responses: { 200: json('Room') } } },
  [`${ADMIN_BASE}/rooms/{roomId}/publishers`]: { post: { tags: ['admin'], summary: 'Grant a client the right to publish event types', responses: { 200: json('Routing generation') } } },
  [`${ADMIN_BASE}/subscriptions/{subscriptionId}/approve`]: { post: { tags: ['admin'], summary: 'Approve a subscription', responses: { 200: json('Subscription status and routing generation') } } },
};
