/**
 * Helpers for the directory and configuration-management tests: one HTTP call helper that
 * returns status, content type and parsed body, and member-admin keys written straight to
 * Postgres (the identity routes that issue them are another area's).
 */
import { issueApiKey, newId } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import { request } from './api.ts';

export interface Reply {
  status: number;
  contentType: string | null;
  body: unknown;
}

export interface CallOptions {
  key?: string;
  client?: string;
  body?: unknown;
  rawBody?: string;
}

export function caller(baseUrl: string) {
  return (method: string, path: string, o: CallOptions = {}): Promise<Reply> =>
    request(baseUrl, method, path, { ...(o.key ? { key: o.key } : {}), ...(o.client ? { client: o.client } : {}), body: o.body, ...(o.rawBody !== undefined ? { raw: o.rawBody } : {}) });
}

/** A MEMBER_ADMIN key for an existing member. */
export async function memberAdminKey(db: PrismaClient, instance: string, memberClass: string, memberCode: string): Promise<string> {
  const member = await db.member.findUniqueOrThrow({ where: { instance_memberClass_memberCode: { instance, memberClass, memberCode } } });
  const issued = issueApiKey();
  await db.apiKey.create({ data: { id: newId('key'), prefix: issued.prefix, hash: issued.hash, role: 'MEMBER_ADMIN', memberId: member.id } });
  return issued.key;
}

/** The code of a problem+json reply (or undefined). */
export function codeOf(r: Reply): string | undefined {
  return (r.body as { code?: string } | undefined)?.code;
}

export function pointersOf(r: Reply): string[] {
  return ((r.body as { errors?: Array<{ pointer: string }> } | undefined)?.errors ?? []).map((e) => e.pointer);
}
