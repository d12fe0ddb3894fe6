/**
 * A local push subscriber: an HTTP server on 127.0.0.1 that verifies Standard Webhooks
 * signatures and records what it receives. The demo uses it as the subscriber's endpoint;
 * integration tests use it to see deliveries.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@roomcast/dispatcher';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  verified: boolean;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** The status answered. */
  status: number;
}

/** How to answer one request: a status, optionally after a delay and with extra headers. */
export interface Reply {
  status: number;
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface Subscriber {
  url: string;
  received: Received[];
  /** The signing secret used to verify; set once the subscription exists. */
  setSecret(secret: string): void;
  /** Status code to answer with (default 204); lets tests simulate failing endpoints. */
  respondWith(status: number): void;
  /** Decides the answer per request (overrides respondWith); lets tests fail some events only. */
  respondBy(decide: ((r: Omit<Received, 'status'>) => Reply) | undefined): void;
  /** Called for every request received from now on. */
  onReceive(listener: (r: Received) => void): void;
  waitFor(predicate: (r: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startSubscriber(path = '/hooks/roomcast', port = 0): Promise<Subscriber> {
  const received: Received[] = [];
  const listeners: Array<(r: Received) => void> = [];
  let secret = '';
  let status = 204;
  let decide: ((r: Omit<Received, 'status'>) => Reply) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const ts = Number(req.headers['webhook-timestamp']);
      const sig = String(req.headers['webhook-signature'] ?? '');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // recorded as is; the test decides
      }
      const seen = { headers: req.headers, body, json, verified: secret !== '' && verifySignature(secret, id, ts, body, sig), at: Date.now() };
      const reply = decide ? decide(seen) : { status };
      const entry = { ...seen, status: reply.status };
      received.push(entry);
      for (const l of listeners) l(entry);
      const answer = () => {
        if (!res.destroyed) res.writeHead(reply.status, reply.headers).end();
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}${path}`,
    onReceive: (l) => void listeners.push(l),
    received,
    setSecret: (s) => {
      secret = s;
    },
    respondWith: (s) => {
      status = s;
    },
    respondBy: (fn) => {
      decide = fn;
    },
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`subscriber: condition not met within ${timeoutMs} ms (${received.length} received)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
