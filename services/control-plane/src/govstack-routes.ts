/**
 * GovStack PubSub API v2 control routes: subscriptions of a room, with the status codes of the
 * specification. Roomcast's extensions ride along as extra fields. (Event types:
 * event-type-routes.ts.)
 */
import { parseClientId, RoomcastError } from '@roomcast/core';
import { authenticate, type PrincipalResolver, readJsonBody, requireGovStackClient, roomAddressOf as roomOf } from '@roomcast/http';
import { Hono } from 'hono';
import type { ControlPlane } from './service.ts';
import { BodyChecker } from './validate.ts';

const BASE = '/r1/:instanceId/:memberClass/:memberCode/:applicationCode/api/v1';
export function govstackControlRoutes(cp: ControlPlane, resolve: PrincipalResolver): Hono {
  const app = new Hono();
  app.use(`${BASE}/*`, authenticate(resolve));

  app.post(`${BASE}/subs/:eventType`, async (c) => {
    const caller = requireGovStackClient(c);
    const subscriber = parseClientId(caller);
    if (!subscriber) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/headers/X-GovStack-Client', message: 'must be INSTANCE/CLASS/MEMBER/APPLICATION' }] });
    const check = new BodyChecker(await readJsonBody(c));
    const eventType = check.string('eventType');
    if (eventType !== undefined && eventType !== c.req.param('eventType')) check.fail('eventType', 'must equal the event type in the path');
    const mode = check.oneOf('delivery', ['PUSH', 'PULL'] as const, 'PUSH');
    const options = check.body.options === undefined ? {} : check.object('options') ?? {};
    const pushUrl = options.pushUrl;
    if (pushUrl !== undefined && typeof pushUrl !== 'string') check.fail('options/pushUrl', 'must be a string');
    const fifo = options.FIFO === true;
    check.done();
    const { subscription, signingSecret } = await cp.createSubscription(roomOf(c), c.req.param('eventType'), subscriber, {
      mode,
      ...(typeof pushUrl === 'string' ? { pushUrl } : {}),
      fifo,
    });
    return c.json({ ...subscriptionItem(subscription, subscriber, c.req.param('eventType')), signingSecret }, 200);
  });

  app.get(`${BASE}/subs`, async (c) => {
    const caller = requireGovStackClient(c);
    const subs = await cp.listSubscriptions(roomOf(c), caller);
    if (subs.length === 0) throw new RoomcastError('subscription.not_found', { detail: `${caller} has no subscriptions in this room` });
    const subscriber = parseClientId(caller);
    return c.json(subs.map((s) => subscriptionItem(s, subscriber, s.eventType.name)));
  });

  app.get(`${BASE}/subs/:eventType`, async (c) => {
    const caller = requireGovStackClient(c);
    const subs = await cp.listSubscriptions(roomOf(c), caller);
    const sub = subs.find((s) => s.eventType.name === c.req.param('eventType'));
    if (!sub) throw new RoomcastError('subscription.not_found');
    return c.json(subscriptionItem(sub, parseClientId(caller), sub.eventType.name));
  });

  return app;
}

function subscriptionItem(
  s: { id: string; mode: string; status: string; pushUrl: string | null; fifo: boolean },
  subscriber: ReturnType<typeof parseClientId>,
  eventType: string,
) {
  return {
    id: s.id,
    subscriberId: subscriber
      ? { instanceId: subscriber.instance, memberClass: subscriber.memberClass, memberCode: subscriber.memberCode, applicationCode: subscriber.application }
      : undefined,
    eventType,
    delivery: s.mode,
    options: { FIFO: s.fifo, pushUrl: s.pushUrl ?? undefined },
    status: s.status,
  };
}
