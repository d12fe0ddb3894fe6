/**
 * The outbound POST of a push (undici): one keep-alive pool per endpoint origin, a deadline
 * per request (the subscription's timeout covers headers and body), redirects never followed,
 * the response body drained and discarded. Answers a status or the transport error's code.
 */
import { type Agent, request } from 'undici';
import type { HttpResult } from './delivery.ts';

export function httpSender(agent: Agent) {
  return async (url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpResult> => {
    try {
      const res = await request(url, { method: 'POST', body, headers, dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      const retryAfter = res.headers['retry-after'];
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      return { status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string };
      return { error: e.code ?? e.name ?? 'UNKNOWN' };
    }
  };
}
