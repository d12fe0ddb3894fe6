/**
 * Hono error and not-found handlers that answer with `application/problem+json`. Unknown
 * errors are logged with the request id and answered as `internal`, leaking nothing.
 */
import { type Logger, PROBLEM_CONTENT_TYPE, RoomcastError, toProblem } from '@roomcast/core';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

export function problemResponse(c: Context, err: unknown): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? 'unknown';
  const problem = toProblem(err, requestId);
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': requestId };
  if (err instanceof RoomcastError && err.headers) Object.assign(headers, err.headers);
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}

export function problemErrorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    let known: unknown = err;
    if (err instanceof HTTPException) {
      // Hono's own exceptions (e.g. a body-limit hit) map onto catalog codes.
      known = new RoomcastError(err.status === 413 ? 'request.too_large' : 'request.validation_failed', { detail: err.message });
    } else if (!(err instanceof RoomcastError)) {
      logger.error('unhandled error', { requestId: c.get('requestId'), method: c.req.method, path: c.req.routePath, error: err });
    }
    return problemResponse(c, known);
  };
}

export const problemNotFound: NotFoundHandler = (c) =>
  problemResponse(c, new RoomcastError('route.not_found', { detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }));
