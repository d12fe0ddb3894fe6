/**
 * Reading the audit log: global admins see everything (and may filter by member); member admins
 * see only entries about their own member. Applications may not read it.
 */
import { RoomcastError } from '@roomcast/core';
import type { ApiRouter } from '@roomcast/http';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import type { AuditLog } from './audit.ts';

const entrySchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'actorRole', 'action', 'target', 'outcome', 'requestId'],
  properties: {
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string', description: 'Client id, member or role of the caller, with the id of the key used' },
    actorRole: { type: 'string', enum: ['GLOBAL_ADMIN', 'MEMBER_ADMIN', 'APPLICATION', 'ANONYMOUS'], description: 'ANONYMOUS for a member applying to join' },
    member: { type: ['string', 'null'], description: 'INSTANCE/CLASS/MEMBER the action concerns' },
    action: { type: 'string' },
    target: { type: 'string' },
    outcome: { type: 'string', enum: ['SUCCESS', 'FAILURE'] },
    code: { type: ['string', 'null'], description: 'Error code when the action failed' },
    requestId: { type: 'string' },
    detail: { type: ['object', 'null'] },
  },
};

interface AuditQueryInput {
  member?: string;
  action?: string;
  actor?: string;
  outcome?: 'SUCCESS' | 'FAILURE';
  target?: string;
  since?: string;
  until?: string;
  pageSize: number;
  nextPageToken?: string;
}

export function auditRoutes(router: ApiRouter, audit: AuditLog): void {
  router.add<never, AuditQueryInput>({
    method: 'get',
    path: `${ADMIN_BASE}/audit`,
    operationId: 'listAuditEntries',
    summary: 'Audit log, newest first, with filters and paging',
    tags: ['admin'],
    query: {
      type: 'object',
      properties: {
        member: { type: 'string', maxLength: 200, description: 'INSTANCE/CLASS/MEMBER (forced to the caller for member admins)' },
        action: { type: 'string', maxLength: 100 },
        actor: { type: 'string', maxLength: 300, description: 'Prefix of the actor' },
        outcome: { type: 'string', enum: ['SUCCESS', 'FAILURE'] },
        target: { type: 'string', maxLength: 300, description: 'Substring of the target' },
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
        pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
        nextPageToken: { type: 'string', pattern: '^[0-9]{1,19}$' },
      },
    },
    responses: {
      200: {
        description: 'One page of entries',
        schema: { type: 'object', required: ['entries', 'nextPageToken'], properties: { entries: { type: 'array', items: entrySchema }, nextPageToken: { type: ['string', 'null'] } } },
      },
    },
    handler: async (c, { query, principal }) => {
      let member = query.member;
      if (principal.role === 'MEMBER_ADMIN') {
        if (member !== undefined && member !== principal.member) throw new RoomcastError('auth.forbidden', { detail: 'Member admins read only their own member’s audit entries' });
        member = principal.member;
      } else if (principal.role !== 'GLOBAL_ADMIN') {
        throw new RoomcastError('auth.forbidden', { detail: 'Only admins may read the audit log' });
      }
      const page = await audit.query({
        ...(member !== undefined ? { member } : {}),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.actor !== undefined ? { actor: query.actor } : {}),
        ...(query.outcome !== undefined ? { outcome: query.outcome } : {}),
        ...(query.target !== undefined ? { target: query.target } : {}),
        ...(query.since !== undefined ? { since: new Date(query.since) } : {}),
        ...(query.until !== undefined ? { until: new Date(query.until) } : {}),
        ...(query.nextPageToken !== undefined ? { before: BigInt(query.nextPageToken) } : {}),
        limit: query.pageSize,
      });
      return c.json(page);
    },
  });
}
