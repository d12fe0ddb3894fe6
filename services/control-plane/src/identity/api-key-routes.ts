/**
 * Issuing, listing and revoking API keys. Application keys: global admins and the member's
 * admins. Member-admin and global-admin keys: global admins. A key is returned whole only by
 * the call that issued it; lists show its prefix, label, role, times and never the hash.
 * Revoking republishes the routing contract, so the data plane stops accepting the key.
 */
import { RoomcastError } from '@roomcast/core';
import { type ApiRouter, type ResponseSpec, setAuditTarget } from '@roomcast/http';
import { requireGlobalAdmin } from '../http/access.ts';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import type { ApiKeys, KeyOwner } from './api-keys.ts';
import { type Identity, requireAdmin } from './identity.ts';
import { problem } from '../http/problem-responses.ts';
import { apiKeySchema, apiKeyView, memberPath } from './identity-views.ts';

const issueBody = {
  type: 'object',
  additionalProperties: false,
  properties: { label: { type: 'string', minLength: 1, maxLength: 100, description: 'What the key is for, shown in key lists' } },
};
const issuedSchema = {
  ...apiKeySchema,
  required: [...(apiKeySchema.required as string[]), 'apiKey'],
  properties: { ...(apiKeySchema.properties as Record<string, unknown>), apiKey: { type: 'string', description: 'The whole key, shown this once' } },
};
const keyList = { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: apiKeySchema } } };

export function apiKeyRoutes(router: ApiRouter, identity: Identity, keys: ApiKeys): void {
  const tags = ['identity'];

  /** One issue route and one list route per kind of owner. */
  const keyPair = (o: {
    path: string;
    noun: string;
    who: string;
    operation: string;
    /** Authorises the caller and names the owner (throws 403/404 otherwise). */
    owner: (principal: Parameters<typeof requireAdmin>[0], params: Record<string, string>) => Promise<{ owner: KeyOwner; target: string; member?: string }>;
    notFound?: string;
  }) => {
    const notFound: Record<number, ResponseSpec> = o.notFound ? { 404: problem(o.notFound) } : {};
    router.add<{ label?: string } | undefined>({
      method: 'post',
      path: o.path,
      operationId: `issue${o.operation}Key`,
      summary: `Issue a ${o.noun} key (${o.who})`,
      tags,
      body: issueBody,
      bodyRequired: false,
      audit: 'api_key.issue',
      responses: { 201: { description: 'The key, shown this once', schema: issuedSchema }, ...notFound },
      handler: async (c, { params, body, principal }) => {
        setAuditTarget(c, new URL(c.req.url).pathname);
        const { owner, target, member } = await o.owner(principal, params);
        const issued = await keys.issue(owner, body?.label);
        setAuditTarget(c, issued.row.id, member, { role: owner.role, owner: target, ...(body?.label ? { label: body.label } : {}) });
        return c.json({ ...apiKeyView(issued.row), apiKey: issued.key }, 201);
      },
    });
    router.add({
      method: 'get',
      path: o.path,
      operationId: `list${o.operation}Keys`,
      summary: `${o.noun[0]?.toUpperCase()}${o.noun.slice(1)} keys, revoked ones included, oldest first (${o.who})`,
      tags,
      responses: { 200: { description: 'The keys', schema: keyList }, ...notFound },
      handler: async (c, { params, principal }) => {
        const { owner } = await o.owner(principal, params);
        const where =
          owner.role === 'APPLICATION'
            ? { role: owner.role, applicationId: owner.applicationId }
            : owner.role === 'MEMBER_ADMIN'
              ? { role: owner.role, memberId: owner.memberId }
              : { role: owner.role };
        return c.json({ keys: await keys.list(where) });
      },
    });
  };

  keyPair({
    path: `${ADMIN_BASE}/applications/{applicationId}/keys`,
    noun: 'application',
    who: "global admin or the member's admin",
    operation: 'Application',
    notFound: 'application.not_found',
    owner: async (p, params) => {
      requireAdmin(p);
      const app = await identity.visibleApplication(p, params.applicationId as string);
      if (app.status === 'REJECTED') throw new RoomcastError('application.invalid_state', { detail: 'The application was rejected' });
      return { owner: { role: 'APPLICATION', memberId: app.memberId, applicationId: app.id }, target: app.clientId, member: memberPath(app.member) };
    },
  });

  keyPair({
    path: `${ADMIN_BASE}/members/{memberId}/keys`,
    noun: 'member-admin',
    who: 'global admin',
    operation: 'MemberAdmin',
    notFound: 'member.not_found',
    owner: async (p, params) => {
      requireGlobalAdmin(p);
      const member = await identity.visibleMember(p, params.memberId as string);
      if (member.status === 'REJECTED') throw new RoomcastError('member.invalid_state', { detail: 'The member was rejected' });
      return { owner: { role: 'MEMBER_ADMIN', memberId: member.id }, target: memberPath(member), member: memberPath(member) };
    },
  });

  keyPair({
    path: `${ADMIN_BASE}/admin-keys`,
    noun: 'global-admin',
    who: 'global admin',
    operation: 'GlobalAdmin',
    owner: async (p) => {
      requireGlobalAdmin(p);
      return { owner: { role: 'GLOBAL_ADMIN' }, target: 'global-admin' };
    },
  });

  router.add({
    method: 'post',
    path: `${ADMIN_BASE}/keys/{keyId}/revoke`,
    operationId: 'revokeApiKey',
    summary: 'Revoke a key (idempotent); the data plane stops accepting it with the next routing generation',
    description: "Global admins revoke any key; member admins their member's application keys. Any other key answers 404 like an unknown id.",
    tags,
    audit: 'api_key.revoke',
    responses: {
      200: { description: 'The revoked key', schema: apiKeySchema },
      404: problem('api_key.not_found'),
      409: problem('api_key.last_global_admin: the only active global-admin key cannot be revoked'),
    },
    handler: async (c, { params, principal }) => {
      requireAdmin(principal);
      setAuditTarget(c, params.keyId as string);
      const { key, member } = await keys.revoke(principal, params.keyId as string);
      setAuditTarget(c, key.id, member, { role: key.role });
      return c.json(key);
    },
  });
}
