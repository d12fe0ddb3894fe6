/**
 * Small HTTP helpers for integration tests: one call with an optional key, body and
 * X-GovStack-Client, answered as status + parsed body; and keys the public API cannot issue
 * yet (member admins), written straight into the test's own database schema.
 */
import { issueApiKey, newId } from '@roomcast/core';
import type { Platform } from '@roomcast/all';

export interface Answer {
  status: number;
  body: Record<string, unknown> & { code?: string; errors?: { pointer: string; message: string }[] };
  contentType: string | null;
}

export interface CallOptions {
  key?: string;
  client?: string;
  body?: unknown;
  /** Raw body text (sent as application/json), for malformed-JSON cases. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface RawAnswer {
  status: number;
  contentType: string | null;
  /** Parsed JSON, the text when it is not JSON, undefined when empty. */
  body: unknown;
}

/** The one HTTP helper of the tests; the other helpers are shapes over it. */
export async function request(baseUrl: string, method: string, path: string, o: CallOptions & { contentType?: string } = {}): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  if (o.client) headers['x-govstack-client'] = o.client;
  const text = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
  if (text !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(text !== undefined ? { body: text } : {}) });
  const answer = await res.text();
  let body: unknown = answer || undefined;
  try {
    body = answer ? JSON.parse(answer) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body };
}

export function caller(baseUrl: string) {
  return async function call(method: string, path: string, o: CallOptions = {}): Promise<Answer> {
    const r = await request(baseUrl, method, path, o);
    return { status: r.status, body: (r.body ?? {}) as Answer['body'], contentType: r.contentType };
  };
}

/** Pointers of a problem's field errors, sorted. */
export const pointers = (a: Answer): string[] => (a.body.errors ?? []).map((e) => e.pointer).sort();

/** Issues a MEMBER_ADMIN key for a member, as the identity routes will. */
export async function memberAdminKey(platform: Platform, instance: string, memberClass: string, memberCode: string): Promise<string> {
  const db = platform.controlPlane.service.deps.db;
  const member = await db.member.findUniqueOrThrow({ where: { instance_memberClass_memberCode: { instance, memberClass, memberCode } } });
  const issued = issueApiKey();
  await db.apiKey.create({ data: { id: newId('key'), prefix: issued.prefix, hash: issued.hash, role: 'MEMBER_ADMIN', memberId: member.id } });
  return issued.key;
}
