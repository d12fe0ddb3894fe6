/**
 * What the identity routes return, as JSON Schemas (for OpenAPI) and the functions that map
 * database rows onto them. A key's view never carries its hash; the whole key appears only in
 * the response that issued it.
 */
import type { JsonSchema } from '@roomcast/http';

const STATUSES = ['PENDING', 'APPROVED', 'REJECTED'];
const ROLES = ['GLOBAL_ADMIN', 'MEMBER_ADMIN', 'APPLICATION'];
const time = { type: 'string', format: 'date-time' };
const nullableTime = { type: ['string', 'null'], format: 'date-time' };

/** INSTANCE/CLASS/MEMBER: how principals and the audit log name a member. */
export function memberPath(m: { instance: string; memberClass: string; memberCode: string }): string {
  return `${m.instance}/${m.memberClass}/${m.memberCode}`;
}

export const memberSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'instance', 'memberClass', 'memberCode', 'member', 'name', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    instance: { type: 'string' },
    memberClass: { type: 'string' },
    memberCode: { type: 'string' },
    member: { type: 'string', description: 'INSTANCE/CLASS/MEMBER' },
    name: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    createdAt: time,
  },
};

export function memberView(m: { id: string; instance: string; memberClass: string; memberCode: string; name: string; status: string; createdAt: Date }) {
  return {
    id: m.id,
    instance: m.instance,
    memberClass: m.memberClass,
    memberCode: m.memberCode,
    member: memberPath(m),
    name: m.name,
    status: m.status,
    createdAt: m.createdAt.toISOString(),
  };
}

export const applicationSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'memberId', 'code', 'clientId', 'name', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    memberId: { type: 'string' },
    code: { type: 'string' },
    clientId: { type: 'string', description: 'INSTANCE/CLASS/MEMBER/APPLICATION' },
    name: { type: ['string', 'null'] },
    status: { type: 'string', enum: STATUSES },
    createdAt: time,
  },
};

export function applicationView(a: { id: string; memberId: string; code: string; clientId: string; name: string | null; status: string; createdAt: Date }) {
  return { id: a.id, memberId: a.memberId, code: a.code, clientId: a.clientId, name: a.name, status: a.status, createdAt: a.createdAt.toISOString() };
}

export const apiKeySchema: JsonSchema = {
  type: 'object',
  required: ['id', 'prefix', 'label', 'role', 'memberId', 'applicationId', 'createdAt', 'lastUsedAt', 'revokedAt'],
  properties: {
    id: { type: 'string' },
    prefix: { type: 'string', description: 'The first characters of the key, to recognise it' },
    label: { type: ['string', 'null'] },
    role: { type: 'string', enum: ROLES },
    memberId: { type: ['string', 'null'] },
    applicationId: { type: ['string', 'null'] },
    createdAt: time,
    lastUsedAt: { ...nullableTime, description: 'Recorded at most once a minute per key and process' },
    revokedAt: nullableTime,
  },
};

export interface KeyRow {
  id: string;
  prefix: string;
  label: string | null;
  role: string;
  memberId: string | null;
  applicationId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The key as listed; `recorded` is a newer last use from Redis than the row holds. */
export function apiKeyView(k: KeyRow, recorded?: Date) {
  const lastUsed = recorded && (!k.lastUsedAt || recorded > k.lastUsedAt) ? recorded : k.lastUsedAt;
  return {
    id: k.id,
    prefix: k.prefix,
    label: k.label,
    role: k.role,
    memberId: k.memberId,
    applicationId: k.applicationId,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: lastUsed?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/** A response that carries a newly issued key, shown this once. */
export function withIssuedKey(schema: JsonSchema, description: string): JsonSchema {
  const s = schema as { required: string[]; properties: Record<string, unknown> };
  return {
    ...schema,
    required: [...s.required, 'apiKey', 'keyId'],
    properties: {
      ...s.properties,
      apiKey: { type: 'string', description },
      keyId: { type: 'string', description: 'Id of the issued key (for listing and revoking it)' },
    },
  };
}

export const pageQuery = {
  pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  nextPageToken: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'From the previous page' },
};
export const statusQuery = { type: 'string', enum: STATUSES };

export function pageOf<T extends { id: string }>(rows: T[], pageSize: number): { page: T[]; nextPageToken: string | null } {
  const page = rows.slice(0, pageSize);
  return { page, nextPageToken: rows.length > pageSize ? (page[page.length - 1]?.id ?? null) : null };
}
