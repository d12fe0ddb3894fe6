/**
 * HTTP side of the bench: a bare Hono app on @hono/node-server as the baseline for the
 * platform's HTTP layer, and one undici request as a closed-loop operation.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'undici';

export interface BareHono {
  url: string;
  close(): Promise<void>;
}

/** Answers any POST /bare with a tiny JSON body; like the platform's early 404, it does not read the request body. */
export function startBareHono(): Promise<BareHono> {
  const app = new Hono();
  app.post('/bare', (c) => c.json({ ok: true }));
  return serveOnLoopback(app);
}

/** Serves a Hono app on a free loopback port; `close` also ends kept-alive connections. */
export function serveOnLoopback(app: Hono): Promise<BareHono> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}

export interface PostSpec {
  path: string;
  headers: Record<string, string>;
  body: string;
  expectStatus: number;
}

/** One POST through the pool; succeeds when the status is the expected one. The body is always drained so the connection is reused. */
export function postOp(pool: Pool, spec: PostSpec): () => Promise<boolean> {
  return async () => {
    const res = await pool.request({ path: spec.path, method: 'POST', headers: spec.headers, body: spec.body });
    await res.body.dump();
    return res.statusCode === spec.expectStatus;
  };
}
