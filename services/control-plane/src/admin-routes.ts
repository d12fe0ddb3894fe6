/**
 * Roomcast's own administration routes for what GovStack leaves open: room approval, publisher
 * contracts and subscription approval. Members, applications and keys: identity-routes.ts.
 */
import { authenticate, type PrincipalResolver, principalOf, readJsonBody } from '@roomcast/http';
import { RoomcastError } from '@roomcast/core';
import { Hono } from 'hono';
import { requireGlobalAdmin, requireRoomOwner } from './access.ts';
import type { ControlPlane } from './service.ts';
import { BodyChecker } from './validate.ts';

export const ADMIN_BASE = '/api/admin/v1';

export function adminRoutes(cp: ControlPlane, resolve: PrincipalResolver): Hono {
  const app = new Hono();
  app.use(`${ADMIN_BASE}/*`, authenticate(resolve));

  app.post(`${ADMIN_BASE}/rooms`, async (c) => {
    const check = new BodyChecker(await readJsonBody(c));
    const instance = check.string('instance', { segment: true });
    const memberClass = check.string('memberClass', { segment: true });
    const memberCode = check.string('memberCode', { segment: true });
    const room = check.string('room', { segment: true });
    const partitions = check.int('partitions', 1, 1000);
    check.done();
    const address = { instance: instance as string, memberClass: memberClass as string, memberCode: memberCode as string, room: room as string };
    requireRoomOwner(principalOf(c), address);
    const member = await cp.findMember(address.instance, address.memberClass, address.memberCode);
    return c.json(await cp.createRoom(member.id, address.room, partitions), 201);
  });

  app.post(`${ADMIN_BASE}/rooms/:roomId/approve`, async (c) => {
    requireGlobalAdmin(principalOf(c));
    return c.json(await cp.approveRoom(c.req.param('roomId')));
  });

  app.post(`${ADMIN_BASE}/rooms/:roomId/publishers`, async (c) => {
    const room = await cp.deps.db.room.findUnique({ where: { id: c.req.param('roomId') }, include: { member: true } });
    if (!room) throw new RoomcastError('room.not_found');
    const address = cp.addressOf(room);
    requireRoomOwner(principalOf(c), address);
    const check = new BodyChecker(await readJsonBody(c));
    const clientId = check.string('clientId');
    const eventTypes = check.body.eventTypes;
    if (!Array.isArray(eventTypes) || eventTypes.length === 0 || !eventTypes.every((t) => typeof t === 'string')) {
      check.fail('eventTypes', 'must be a non-empty array of event type names');
    }
    check.done();
    const generation = await cp.grantPublisher(address, clientId as string, eventTypes as string[]);
    return c.json({ generation });
  });

  app.post(`${ADMIN_BASE}/subscriptions/:subscriptionId/approve`, async (c) => {
    const sub = await cp.deps.db.subscription.findUnique({ where: { id: c.req.param('subscriptionId') }, include: { room: { include: { member: true } } } });
    if (!sub) throw new RoomcastError('subscription.not_found');
    requireRoomOwner(principalOf(c), cp.addressOf(sub.room));
    const { subscription, generation } = await cp.approveSubscription(sub.id);
    return c.json({ id: subscription.id, status: subscription.status, generation });
  });

  return app;
}
