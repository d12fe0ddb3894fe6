/**
 * A small JSON client for integration tests: one call, its status and parsed body, with an
 * optional API key (none means anonymous).
 */
export interface ApiResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape a route answers
  body: any;
}

export type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResult>;

export function apiAs(baseUrl: string, key: string | undefined): Api {
  return async (method, path, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** `[status, code]` of a problem answer, or `[status]` of a success: compact to compare. */
export function outcome(r: ApiResult): [number, string?] {
  return r.status >= 400 ? [r.status, r.body?.code] : [r.status];
}
