/**
 * GovStack PubSub subscription routes, with the specification's paths and status codes:
 * `…/api/v1/subs` (GET: 200 list, 404 none) and `…/api/v1/subs/{eventType}` (POST 200/400/409,
 * GET 200/404, PATCH 201/400/404, DELETE 204/404), plus Roomcast's secret rotation under the same
 * path. The caller named by X-GovStack-Client is the subscriber: an application acts for itself,
 * a member admin for its member's applications, a global admin for any application.
 */
import { type ClientId, parseClientId, RoomcastError, roomKey } from '@roomcast/core';
import { type ApiRouter, type Principal, roomAddressOf, setAuditTarget } from '@roomcast/http';
import { problem } from '../http/problem-responses.ts';
import type { Context } from 'hono';
import { BOUNDS, DEFAULTS, type ItemInput, itemBodySchema, itemSchema, renderItem } from './subscription-model.ts';
import type { SubscriptionRow, Subscriptions } from './subscriptions.ts';

export const GOVSTACK_ROOM = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/api/v1';

const PARAMS = { applicationCode: 'The room', eventType: 'Event type name' };

/** The subscriber the call acts for, from X-GovStack-Client (already matched to application keys). */
export function subscriberOf(principal: Principal, client: string | undefined): ClientId {
  const subscriber = parseClientId(client ?? '');
  if (!subscriber) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/headers/X-GovStack-Client', message: 'must be INSTANCE/CLASS/MEMBER/APPLICATION' }] });
  }
  const member = `${subscriber.instance}/${subscriber.memberClass}/${subscriber.memberCode}`;
  if (principal.role === 'MEMBER_ADMIN' && principal.member !== member) {
    throw new RoomcastError('auth.forbidden', { detail: 'A member admin acts only for its own member’s applications' });
  }
  return subscriber;
}

const memberOf = (s: ClientId) => `${s.instance}/${s.memberClass}/${s.memberCode}`;

function audit(c: Context, sub: Pick<SubscriptionRow, 'id'> | undefined, subscriber: ClientId, eventType: string, extra: Record<string, unknown> = {}): void {
  const room = roomKey(roomAddressOf(c));
  setAuditTarget(c, sub?.id ?? `${room}/subs/${eventType}`, memberOf(subscriber), { room, eventType, subscriber: `${memberOf(subscriber)}/${subscriber.application}`, ...extra });
}

const item = (s: SubscriptionRow, subscriber: ClientId) => renderItem(s, subscriber, s.eventType.name);

export function subscriptionRoutes(router: ApiRouter, subs: Subscriptions): void {
  router.add({
    method: 'get',
    path: `${GOVSTACK_ROOM}/subs`,
    operationId: 'listSub',
    summary: 'List my subscriptions in the room',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    responses: { 200: { description: 'List of my subscriptions', schema: { type: 'array', items: itemSchema } }, 404: problem('The caller has no subscription in this room') },
    handler: async (c, { principal, client }) => {
      const subscriber = subscriberOf(principal, client);
      const found = await subs.listOwn(roomAddressOf(c), client as string);
      if (found.length === 0) throw new RoomcastError('subscription.not_found', { detail: `${client} has no subscriptions in this room` });
      return c.json(found.map((s) => item(s, subscriber)));
    },
  });

  router.add<ItemInput>({
    method: 'post',
    path: `${GOVSTACK_ROOM}/subs/{eventType}`,
    operationId: 'addSub',
    summary: 'Subscribe the caller to an event type',
    description:
      'Starts PENDING until the room owner approves, or ACTIVE at once when the room auto-approves or the owner granted this client the event type. Delivery starts with the events published after approval. The signing secret is in this response only.',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    body: itemBodySchema('create'),
    audit: 'subscription.create',
    responses: {
      200: {
        description: 'Subscription created, with its signing secret (shown once)',
        schema: { ...itemSchema, required: [...(itemSchema.required as string[]), 'signingSecret'], properties: { ...(itemSchema.properties as object), signingSecret: { type: 'string', description: 'whsec_… Standard Webhooks secret; shown once' } } },
      },
      404: problem('No such room or event type'),
      409: problem('Subscription already exists'),
    },
    handler: async (c, { body, params, principal, client }) => {
      const subscriber = subscriberOf(principal, client);
      const eventType = params.eventType as string;
      audit(c, undefined, subscriber, eventType);
      const { subscription, signingSecret, approval } = await subs.create(roomAddressOf(c), eventType, subscriber, body);
      audit(c, subscription, subscriber, eventType, { approval, delivery: subscription.mode });
      return c.json({ ...item(subscription, subscriber), signingSecret }, 200);
    },
  });

  router.add({
    method: 'get',
    path: `${GOVSTACK_ROOM}/subs/{eventType}`,
    operationId: 'getSub',
    summary: 'Get subscription details',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    responses: { 200: { description: 'Subscription details', schema: itemSchema }, 404: problem('Subscription missing') },
    handler: async (c, { params, principal, client }) => {
      const subscriber = subscriberOf(principal, client);
      return c.json(item(await subs.findOwn(roomAddressOf(c), client as string, params.eventType as string), subscriber));
    },
  });

  router.add<ItemInput>({
    method: 'patch',
    path: `${GOVSTACK_ROOM}/subs/{eventType}`,
    operationId: 'patchSub',
    summary: 'Update subscription details',
    description:
      'Partial update: fields not sent keep their value. id and subscriberId may be echoed back unchanged; status is read-only. Switching PUSH↔PULL keeps the subscription’s place. Answers 201 as the specification says.',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    body: itemBodySchema('update'),
    audit: 'subscription.update',
    responses: { 201: { description: 'Subscription details', schema: itemSchema }, 404: problem('Subscription missing') },
    handler: async (c, { body, params, principal, client }) => {
      const subscriber = subscriberOf(principal, client);
      const eventType = params.eventType as string;
      audit(c, undefined, subscriber, eventType);
      const sub = await subs.findOwn(roomAddressOf(c), client as string, eventType);
      audit(c, sub, subscriber, eventType, { fields: Object.keys(body.options ?? {}).concat(body.delivery ? ['delivery'] : []) });
      const { subscription } = await subs.update(sub, subscriber, body);
      return c.json(item(subscription, subscriber), 201);
    },
  });

  router.add({
    method: 'delete',
    path: `${GOVSTACK_ROOM}/subs/{eventType}`,
    operationId: 'deleteSub',
    summary: 'Cancel subscription',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    audit: 'subscription.delete',
    responses: { 204: { description: 'Subscription deleted' }, 404: problem('Subscription missing') },
    handler: async (c, { params, principal, client }) => {
      const subscriber = subscriberOf(principal, client);
      const eventType = params.eventType as string;
      audit(c, undefined, subscriber, eventType);
      const sub = await subs.findOwn(roomAddressOf(c), client as string, eventType);
      audit(c, sub, subscriber, eventType);
      await subs.remove(sub);
      return c.body(null, 204);
    },
  });

  router.add<{ overlapSeconds: number }>({
    method: 'post',
    path: `${GOVSTACK_ROOM}/subs/{eventType}/secret`,
    operationId: 'rotateSubSecret',
    summary: 'Rotate the signing secret (Roomcast extension)',
    description:
      'Returns a new signing secret, once. Until previousSecretExpiresAt every push carries a signature with each secret (space-separated, Standard Webhooks), so the subscriber can switch without losing a request.',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        overlapSeconds: {
          type: 'integer',
          minimum: BOUNDS.overlapSeconds.min,
          maximum: BOUNDS.overlapSeconds.max,
          default: DEFAULTS.overlapSeconds,
          description: 'How long the previous secret keeps signing; 0 drops it at once',
        },
      },
    },
    bodyRequired: false,
    audit: 'subscription.rotate_secret',
    responses: {
      200: {
        description: 'The new secret (shown once)',
        schema: {
          type: 'object',
          required: ['id', 'signingSecret', 'previousSecretExpiresAt'],
          properties: { id: { type: 'string' }, signingSecret: { type: 'string' }, previousSecretExpiresAt: { type: ['string', 'null'], format: 'date-time' } },
        },
      },
      404: problem('Subscription missing'),
    },
    handler: async (c, { body, params, principal, client }) => {
      const subscriber = subscriberOf(principal, client);
      const eventType = params.eventType as string;
      const overlapSeconds = body?.overlapSeconds ?? DEFAULTS.overlapSeconds;
      audit(c, undefined, subscriber, eventType);
      const sub = await subs.findOwn(roomAddressOf(c), client as string, eventType);
      audit(c, sub, subscriber, eventType, { overlapSeconds });
      const { subscription, signingSecret } = await subs.rotate(sub, overlapSeconds);
      return c.json({ id: subscription.id, signingSecret, previousSecretExpiresAt: subscription.previousSecretExpiresAt?.toISOString() ?? null });
    },
  });
}
