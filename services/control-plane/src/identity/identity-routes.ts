/**
 * Members and applications: direct registration by a global admin, the GovStack apply/approve
 * flow, lists and lookups. Global admins see everything; member admins only their own member
 * (anything else answers exactly like an unknown id); applications use none of these routes
 * except `GET /me`.
 */
import { RoomcastError } from '@roomcast/core';
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import { requireGlobalAdmin } from '../http/access.ts';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import { apiKeyRoutes } from './api-key-routes.ts';
import type { ApiKeys } from './api-keys.ts';
import { type Decision, type Identity, type MemberInput, type PageQuery, requireAdmin } from './identity.ts';
import { problem } from '../http/problem-responses.ts';
import { applicationSchema, applicationView, memberPath, memberSchema, memberView, pageQuery, statusQuery, withIssuedKey } from './identity-views.ts';
import type { ApplyThrottle } from './apply-throttle.ts';

const segment = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$' };
const label = { type: 'string', minLength: 1, maxLength: 100, description: 'What the key is for, shown in key lists' };
const memberFields = {
  instance: segment,
  memberClass: segment,
  memberCode: segment,
  name: { type: 'string', minLength: 1, maxLength: 200 },
};
const memberBody = { type: 'object', additionalProperties: false, required: ['instance', 'memberClass', 'memberCode', 'name'], properties: memberFields };
const applyBody = { ...memberBody, properties: { ...memberFields, label } };
const applicationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: { code: segment, name: { type: 'string', minLength: 1, maxLength: 200 }, label },
};
const rejectBody = { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500, description: 'Recorded in the audit log' } } };
const membersPage = { type: 'object', required: ['members', 'nextPageToken'], properties: { members: { type: 'array', items: memberSchema }, nextPageToken: { type: ['string', 'null'] } } };
const applicationsPage = {
  type: 'object',
  required: ['applications', 'nextPageToken'],
  properties: { applications: { type: 'array', items: applicationSchema }, nextPageToken: { type: ['string', 'null'] } },
};
const principalSchema = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { type: 'string', enum: ['GLOBAL_ADMIN', 'MEMBER_ADMIN', 'APPLICATION'] },
    keyId: { type: 'string', description: 'The API key id, or cert:<sha-256 prefix> for a client certificate' },
    clientId: { type: 'string' },
    member: { type: 'string' },
  },
};
const issuedOnce = 'The API key, shown this once; it authenticates once the member (and application) are APPROVED';

type ListQuery = PageQuery & { memberId?: string };

export function identityRoutes(router: ApiRouter, identity: Identity, keys: ApiKeys, throttle: ApplyThrottle): void {  const tags = ['identity'];

  router.add<MemberInput>({
    method: 'post',
    path: `${ADMIN_BASE}/members`,
    operationId: 'createMember',
    summary: 'Register a member directly, APPROVED (global admin)',
    tags,
    body: memberBody,
    audit: 'member.create',
    responses: { 201: { description: 'The member', schema: memberSchema }, 409: problem('member.already_exists') },
    handler: async (c, { body, principal }) => {
      requireGlobalAdmin(principal);
      setAuditTarget(c, memberPath(body), memberPath(body));
      const member = await identity.createMember(body);
      setAuditTarget(c, member.id, memberPath(member));
      return c.json(memberView(member), 201);
    },
  });

  router.add<MemberInput & { label?: string }>({
    method: 'post',
    path: `${ADMIN_BASE}/members/apply`,
    operationId: 'applyMember',
    summary: 'Apply to become a member (no credentials); PENDING until a global admin approves',
    description: 'Returns the member-admin key once. It authenticates after approval; until then it answers 403 auth.not_approved. A rejected member may apply again.',
    tags,
    auth: 'none',
    admit: (c) => throttle.admit(c),
    body: applyBody,
    audit: 'member.apply',
    responses: {
      201: { description: 'The PENDING member and its member-admin key', schema: withIssuedKey(memberSchema, issuedOnce) },
      409: problem('member.already_exists'),
      429: problem('member.apply_limited: too many applications from this client network, or too many awaiting a decision; see Retry-After'),
    },
    handler: async (c, { body }) => {
      setAuditTarget(c, memberPath(body), memberPath(body));
      const { member, issued } = await identity.applyMember(body, body.label);
      setAuditTarget(c, member.id, memberPath(member), { keyId: issued.row.id });
      return c.json({ ...memberView(member), apiKey: issued.key, keyId: issued.row.id }, 201);
    },
  });

  router.add<never, ListQuery>({
    method: 'get',
    path: `${ADMIN_BASE}/members`,
    operationId: 'listMembers',
    summary: 'Members in id order (global admin: all; member admin: its own)',
    tags,
    query: { type: 'object', properties: { status: statusQuery, ...pageQuery } },
    responses: { 200: { description: 'One page of members', schema: membersPage } },
    handler: async (c, { query, principal }) => {
      const { page, nextPageToken } = await identity.listMembers(principal, query);
      return c.json({ members: page.map(memberView), nextPageToken });
    },
  });

  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/members/{memberId}`,
    operationId: 'getMember',
    summary: 'One member (global admin, or its own member admin)',
    tags,
    responses: { 200: { description: 'The member', schema: memberSchema }, 404: problem('member.not_found') },
    handler: async (c, { params, principal }) => c.json(memberView(await identity.visibleMember(principal, params.memberId as string))),
  });

  for (const [action, decision] of [
    ['approve', 'APPROVED'],
    ['reject', 'REJECTED'],
  ] as Array<[string, Decision]>) {
    router.add<{ reason?: string } | undefined>({
      method: 'post',
      path: `${ADMIN_BASE}/members/{memberId}/${action}`,
      operationId: `${action}Member`,
      summary: `${action === 'approve' ? 'Approve' : 'Reject'} a PENDING member (global admin)`,
      description: action === 'approve' ? "Its member-admin keys (and its approved applications' keys) start to authenticate." : 'Revokes the keys issued to it so far.',
      tags,
      ...(action === 'reject' ? { body: rejectBody, bodyRequired: false } : {}),
      audit: `member.${action}`,
      responses: { 200: { description: 'The member', schema: memberSchema }, 404: problem('member.not_found'), 409: problem('member.invalid_state') },
      handler: async (c, { params, body, principal }) => {
        requireGlobalAdmin(principal);
        setAuditTarget(c, params.memberId as string, undefined, body?.reason ? { reason: body.reason } : undefined);
        const member = await identity.decideMember(params.memberId as string, decision);
        setAuditTarget(c, member.id, memberPath(member), body?.reason ? { reason: body.reason } : undefined);
        return c.json(memberView(member));
      },
    });
  }

  router.add<{ code: string; name?: string; label?: string }>({
    method: 'post',
    path: `${ADMIN_BASE}/members/{memberId}/applications`,
    operationId: 'createApplication',
    summary: 'Register an application with its first API key (global admin: APPROVED; member admin: applies, PENDING)',
    tags,
    body: applicationBody,
    audit: 'application.create',
    responses: {
      201: { description: 'The application and its first API key', schema: withIssuedKey(applicationSchema, issuedOnce) },
      404: problem('member.not_found'),
      409: problem('application.already_exists, member.invalid_state'),
    },
    handler: async (c, { params, body, principal }) => {
      requireAdmin(principal);
      setAuditTarget(c, `${params.memberId}/${body.code}`);
      const { application, issued, member } = await identity.createApplication(principal, params.memberId as string, body);
      setAuditTarget(c, application.clientId, memberPath(member), { status: application.status, keyId: issued.row.id });
      return c.json({ ...applicationView(application), apiKey: issued.key, keyId: issued.row.id }, 201);
    },
  });

  const listApplications = (operationId: string, path: string, summary: string, byMember: boolean) =>
    router.add<never, ListQuery>({
      method: 'get',
      path,
      operationId,
      summary,
      tags,
      query: { type: 'object', properties: { ...(byMember ? {} : { memberId: { type: 'string', maxLength: 100 } }), status: statusQuery, ...pageQuery } },
      responses: byMember ? { 200: { description: 'One page of applications', schema: applicationsPage }, 404: problem('member.not_found') } : { 200: { description: 'One page of applications', schema: applicationsPage } },
      handler: async (c, { params, query, principal }) => {
        // Listing a member's applications first checks that the caller may see the member.
        if (byMember) await identity.visibleMember(principal, params.memberId as string);
        const { page, nextPageToken } = await identity.listApplications(principal, byMember ? { ...query, memberId: params.memberId as string } : query);
        return c.json({ applications: page.map(applicationView), nextPageToken });
      },
    });
  listApplications('listMemberApplications', `${ADMIN_BASE}/members/{memberId}/applications`, "A member's applications in id order", true);
  listApplications('listApplications', `${ADMIN_BASE}/applications`, 'Applications in id order (global admin: all, e.g. ?status=PENDING; member admin: its own)', false);

  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/applications/{applicationId}`,
    operationId: 'getApplication',
    summary: "One application (global admin, or its member's admin)",
    tags,
    responses: { 200: { description: 'The application', schema: applicationSchema }, 404: problem('application.not_found') },
    handler: async (c, { params, principal }) => c.json(applicationView(await identity.visibleApplication(principal, params.applicationId as string))),
  });

  for (const [action, decision] of [
    ['approve', 'APPROVED'],
    ['reject', 'REJECTED'],
  ] as Array<[string, Decision]>) {
    router.add<{ reason?: string } | undefined>({
      method: 'post',
      path: `${ADMIN_BASE}/applications/{applicationId}/${action}`,
      operationId: `${action}Application`,
      summary: `${action === 'approve' ? 'Approve' : 'Reject'} a PENDING application (global admin)`,
      description: action === 'approve' ? 'Needs its member APPROVED. Its keys and client certificate start to authenticate.' : 'Revokes the keys issued to it so far.',
      tags,
      ...(action === 'reject' ? { body: rejectBody, bodyRequired: false } : {}),
      audit: `application.${action}`,
      responses: {
        200: { description: 'The application', schema: applicationSchema },
        404: problem('application.not_found'),
        409: problem('application.invalid_state, member.invalid_state'),
      },
      handler: async (c, { params, body, principal }) => {
        requireGlobalAdmin(principal);
        const detail = body?.reason ? { reason: body.reason } : undefined;
        setAuditTarget(c, params.applicationId as string, undefined, detail);
        const app = await identity.decideApplication(params.applicationId as string, decision);
        setAuditTarget(c, app.clientId, memberPath(app.member), detail);
        return c.json(applicationView(app));
      },
    });
  }

  router.add({
    method: 'get',
    path: `${ADMIN_BASE}/me`,
    operationId: 'whoAmI',
    summary: 'The caller as authenticated (API key or client certificate)',
    tags,
    responses: { 200: { description: 'The principal', schema: principalSchema } },
    handler: (c, { principal: p }) => {
      if (!p) throw new RoomcastError('auth.missing_credentials');
      return c.json({ role: p.role, ...(p.keyId ? { keyId: p.keyId } : {}), ...(p.clientId ? { clientId: p.clientId } : {}), ...(p.member ? { member: p.member } : {}) });
    },
  });

  apiKeyRoutes(router, identity, keys);
}
