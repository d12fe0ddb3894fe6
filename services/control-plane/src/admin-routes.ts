/**
 * Roomcast's own administration routes for what GovStack leaves open: members, applications
 * and their keys. Rooms, publisher contracts and subscriptions have their own route files.
 */
import { authenticate, type PrincipalResolver, principalOf, readJsonBody } from '@roomcast/http';
import { Hono } from 'hono';
import { requireGlobalAdmin } from './access.ts';
import type { ControlPlane } from './service.ts';
import { BodyChecker } from './validate.ts';

export const ADMIN_BASE = '/api/admin/v1';

export function adminRoutes(cp: ControlPlane, resolve: PrincipalResolver): Hono {
  const app = new Hono();
  app.use(`${ADMIN_BASE}/*`, authenticate(resolve));

  app.post(`${ADMIN_BASE}/members`, async (c) => {
    requireGlobalAdmin(principalOf(c));
    const check = new BodyChecker(await readJsonBody(c));
    const instance = check.string('instance', { segment: true });
    const memberClass = check.string('memberClass', { segment: true });
    const memberCode = check.string('memberCode', { segment: true });
    const name = check.string('name');
    check.done();
    const member = await cp.createMember({ instance: instance as string, memberClass: memberClass as string, memberCode: memberCode as string, name: name as string });
    return c.json(member, 201);
  });

  app.post(`${ADMIN_BASE}/members/:memberId/applications`, async (c) => {
    requireGlobalAdmin(principalOf(c));
    const check = new BodyChecker(await readJsonBody(c));
    const code = check.string('code', { segment: true });
    check.done();
    const { application, apiKey } = await cp.createApplication(c.req.param('memberId'), code as string);
    return c.json({ ...application, apiKey }, 201);
  });

  return app;
}
