/** OpenAPI paths served by the control plane. */
import { govstackClientHeader, govstackParams, type OpenApiPaths, problemResponseRef } from '@roomcast/http';
import { ADMIN_BASE } from './admin-routes.ts';

const room = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/api/v1';
const params = [govstackClientHeader, ...govstackParams];
const eventTypeParam = { name: 'eventType', in: 'path', required: true, schema: { type: 'string' } };
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

export const controlPlaneOpenApi: OpenApiPaths = {
  [`${room}/subs`]: {
    parameters: params,
    get: { tags: ['govstack'], operationId: 'listSubscriptions', summary: "The caller's subscriptions in the room", responses: { 200: json('Subscriptions'), 404: problemResponseRef('None') } },
  },
  [`${room}/subs/{eventType}`]: {
    parameters: [...params, eventTypeParam],
    post: { tags: ['govstack'], operationId: 'subscribe', summary: 'Subscribe (pending until the room owner approves)', responses: { 200: json('Subscription with its signing secret, shown once'), 400: problemResponseRef('Invalid request'), 409: problemResponseRef('Already subscribed') } },
    get: { tags: ['govstack'], operationId: 'getSubscription', summary: 'One subscription', responses: { 200: json('Subscription'), 404: problemResponseRef('Not found') } },
  },
  [`${ADMIN_BASE}/members`]: { post: { tags: ['admin'], summary: 'Create a member (global admin)', responses: { 201: json('Member') } } },
  [`${ADMIN_BASE}/members/{memberId}/applications`]: { post: { tags: ['admin'], summary: 'Create an application and its first API key', responses: { 201: json('Application with apiKey, shown once') } } },
  [`${ADMIN_BASE}/subscriptions/{subscriptionId}/approve`]: { post: { tags: ['admin'], summary: 'Approve a subscription', responses: { 200: json('Subscription status and routing generation') } } },
};
