/**
 * The room owner's side of subscriptions (Roomcast admin API): list a room's subscriptions by
 * status, read one, approve, reject, pause and resume. Member admins act on their own member's
 * rooms, global admins on every room; applications use the GovStack routes instead. A
 * subscription or room the caller may not see answers exactly like a missing one (404).
 */
import { parseClientId, RoomcastError, roomKey } from '@roomcast/core';
import { type ApiRouter, type Principal, setAuditTarget } from '@roomcast/http';
import type { Context } from 'hono';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import { itemSchema, renderItem } from './subscription-model.ts';
import { problem } from '../http/problem-responses.ts';
import type { RoomSubscriptionQuery, SubscriptionRow, Subscriptions } from './subscriptions.ts';
import type { ReplayRequest, SubscriptionReplay } from './replay.ts';

const STATUSES = ['PENDING', 'ACTIVE', 'PAUSED', 'DISABLED'] as const;

const adminItemSchema = {
  ...itemSchema,
  required: [...(itemSchema.required as string[]), 'roomId', 'room', 'subscriber'],
  properties: {
    ...(itemSchema.properties as object),
    roomId: { type: 'string' },
    room: { type: 'string', description: 'INSTANCE/CLASS/MEMBER/ROOM' },
    subscriber: { type: 'string', description: 'Client id of the subscribing application' },
  },
};

const changeSchema = {
  type: 'object',
  required: ['subscription', 'generation'],
  properties: { subscription: adminItemSchema, generation: { type: 'integer', description: 'Routing-contract generation that carries the change' } },
};

const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Shown to the subscriber as statusReason' } },
};

const replayBody = {
  type: 'object',
  additionalProperties: false,
  required: ['from'],
  properties: {
    from: {
      type: 'string',
      anyOf: [{ enum: ['earliest', 'latest'] }, { format: 'date-time' }],
      description: '`earliest` (the oldest retained event), `latest` (skip to the end), or an RFC 3339 time not in the future: the first event stored at or after it',
    },
    dryRun: { type: 'boolean', default: false, description: 'Count only; move nothing' },
  },
};

const replayAnswerSchema = {
  type: 'object',
  required: ['subscriptionId', 'dryRun', 'from', 'records', 'skipped', 'partitions'],
  properties: {
    subscriptionId: { type: 'string' },
    dryRun: { type: 'boolean' },
    from: { type: 'string' },
    records: { type: 'integer', description: 'Records from the new place to the end of the room’s lanes (all event types, before filtering)' },
    skipped: { type: 'integer', description: 'Records between the current place and a new place ahead of it, which the subscription will not read' },
    partitions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['lane', 'partition', 'committedOffset', 'targetOffset', 'endOffset', 'records', 'skipped'],
        properties: {
          lane: { type: 'string', enum: ['normal', 'urgent'] },
          partition: { type: 'integer' },
          committedOffset: { type: ['string', 'null'], description: 'The next offset the subscription reads today (null: none committed)' },
          targetOffset: { type: 'string' },
          endOffset: { type: 'string' },
          records: { type: 'integer' },
          skipped: { type: 'integer' },
        },
      },
    },
  },
};

function requireAdmin(p: Principal): void {
  if (p.role === 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: 'Only member or global admins manage a room’s subscriptions' });
}

const ownerOf = (room: SubscriptionRow['room']) => `${room.member.instance}/${room.member.memberClass}/${room.member.memberCode}`;

function adminItem(s: SubscriptionRow) {
  const subscriber = parseClientId(s.application.clientId);
  if (!subscriber) throw new Error(`stored client id ${s.application.clientId} is malformed`);
  const room = { instance: s.room.member.instance, memberClass: s.room.member.memberClass, memberCode: s.room.member.memberCode, room: s.room.code };
  return { ...renderItem(s, subscriber, s.eventType.name), roomId: s.roomId, room: roomKey(room), subscriber: s.application.clientId };
}

export function subscriptionAdminRoutes(router: ApiRouter, subs: Subscriptions, replay: SubscriptionReplay): void {
  /** The subscription if the caller owns its room (or is a global admin); else the 404 of a missing one. */
  async function visible(c: Context, principal: Principal, id: string): Promise<SubscriptionRow> {
    requireAdmin(principal);
    setAuditTarget(c, id);
    const sub = await subs.findById(id);
    if (!sub || (principal.role !== 'GLOBAL_ADMIN' && principal.member !== ownerOf(sub.room))) throw new RoomcastError('subscription.not_found');
    setAuditTarget(c, id, ownerOf(sub.room), { subscriber: sub.application.clientId, eventType: sub.eventType.name, status: sub.status });
    return sub;
  }

  router.add<never, RoomSubscriptionQuery>({
    method: 'get',
    path: `${ADMIN_BASE}/rooms/{roomId}/subscriptions`,
    operationId: 'listRoomSubscriptions',
    summary: 'Subscriptions to a room, for its owner (e.g. status=PENDING: waiting for approval)',
    tags: ['admin', 'subscriptions'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: [...STATUSES] },
        eventType: { type: 'string', maxLength: 63 },
        pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
        nextPageToken: { type: 'string', maxLength: 64 },
      },
    },
    responses: {
      200: {
        description: 'One page, oldest first',
        schema: { type: 'object', required: ['subscriptions', 'nextPageToken'], properties: { subscriptions: { type: 'array', items: adminItemSchema }, nextPageToken: { type: ['string', 'null'] } } },
      },
      404: problem('No such room (or not the caller’s)'),
    },
    handler: async (c, { params, query, principal }) => {
      requireAdmin(principal);
      const room = await subs.roomById(params.roomId as string);
      if (!room || (principal.role !== 'GLOBAL_ADMIN' && principal.member !== ownerOf(room))) throw new RoomcastError('room.not_found');
      const { items, nextPageToken } = await subs.listRoom(room.id, query);
      return c.json({ subscriptions: items.map(adminItem), nextPageToken });
    },
  });

  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/subscriptions/{subscriptionId}`,
    operationId: 'getSubscriptionForOwner',
    summary: 'One subscription to the caller’s room',
    tags: ['admin', 'subscriptions'],
    responses: { 200: { description: 'The subscription', schema: adminItemSchema }, 404: problem('No such subscription (or not to the caller’s room)') },
    handler: async (c, { params, principal }) => c.json(adminItem(await visible(c, principal, params.subscriptionId as string))),
  });

  const transitions = [
    {
      name: 'approve',
      summary: 'Approve: delivery starts with the events published from now on',
      run: (s: SubscriptionRow) => subs.approve(s),
    },
    {
      name: 'reject',
      summary: 'Reject (or revoke): DISABLED with a reason; nothing more is delivered',
      run: (s: SubscriptionRow, reason?: string) => subs.reject(s, reason),
    },
    {
      name: 'pause',
      summary: 'Pause an ACTIVE subscription; it keeps its place',
      run: (s: SubscriptionRow, reason?: string) => subs.pause(s, reason),
    },
    {
      name: 'resume',
      summary: 'Resume a PAUSED subscription from where it stopped',
      run: (s: SubscriptionRow) => subs.resume(s),
    },
  ] as const;

  for (const t of transitions) {
    const takesReason = t.name === 'reject' || t.name === 'pause';
    router.add<{ reason?: string } | undefined>({
      method: 'post',
      path: `${ADMIN_BASE}/subscriptions/{subscriptionId}/${t.name}`,
      operationId: `${t.name}Subscription`,
      summary: t.summary,
      tags: ['admin', 'subscriptions'],
      ...(takesReason ? { body: reasonBody, bodyRequired: false } : {}),
      audit: `subscription.${t.name}`,
      responses: {
        200: { description: 'The subscription after the change, and the routing generation that carries it', schema: changeSchema },
        404: problem('No such subscription (or not to the caller’s room)'),
        409: problem('Not allowed in the subscription’s current status'),
      },
      handler: async (c, { body, params, principal }) => {
        const sub = await visible(c, principal, params.subscriptionId as string);
        const { subscription, generation } = await t.run(sub, body?.reason);
        return c.json({ subscription: adminItem(subscription), generation });
      },
    });
  }

  router.add<ReplayRequest>({
    method: 'post',
    path: `${ADMIN_BASE}/subscriptions/{subscriptionId}/replay`,
    operationId: 'replaySubscription',
    summary: 'Move a PAUSED subscription to the earliest retained event, a time, or the end; resume it to deliver from there',
    description:
      'Counts are records of the room’s lanes (every event type, before the subscription’s own filtering). A dry run counts and moves nothing. ' +
      'A pull subscription’s queue is emptied by the move. Delivery restarts when the subscription is resumed.',
    tags: ['admin', 'subscriptions'],
    body: replayBody,
    audit: 'subscription.replay',
    responses: {
      200: { description: 'What is (or, in a dry run, would be) read again per partition and in total', schema: replayAnswerSchema },
      404: problem('No such subscription (or not to the caller’s room)'),
      409: problem('The subscription is not PAUSED (subscription.not_paused), or its consumers have not left yet (subscription.consumers_active: retry)'),
      503: problem('Kafka or Redis is unavailable'),
    },
    handler: async (c, { body, params, principal }) => {
      const sub = await visible(c, principal, params.subscriptionId as string);
      const answer = await replay.replay(sub, body);
      setAuditTarget(c, sub.id, ownerOf(sub.room), { subscriber: sub.application.clientId, eventType: sub.eventType.name, from: body.from, dryRun: answer.dryRun, records: answer.records, skipped: answer.skipped });
      return c.json(answer);
    },
  });
}
