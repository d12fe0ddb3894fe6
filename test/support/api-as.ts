/**
 * A small JSON client for integration tests: one call, its status and parsed body, with an
 * optional API key (none means anonymous).
 */
import { request } from './api.ts';

export interface ApiResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape a route answers
  body: any;
}

export type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResult>;

export function apiAs(baseUrl: string, key: string | undefined): Api {
  return (method, path, body, headers = {}) => request(baseUrl, method, path, { ...(key ? { key } : {}), body, headers });
}

/** `[status, code]` of a problem answer, or `[status]` of a success: compact to compare. */
export function outcome(r: ApiResult): [number, string?] {
  return r.status >= 400 ? [r.status, r.body?.code] : [r.status];
}
