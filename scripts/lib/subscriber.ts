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
}

export interface Subscriber {
  url: string;
  received: Received[];
  /** The signing secret used to verify; set once the subscription exists. */
  setSecret(secret: string): void;
  /** Status code to answer with (default 204); lets tests simulate failing endpoints. */
  respondWith(status: number): void;
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
      const entry = { headers: req.headers, body, json, verified: secret !== '' && verifySignature(secret, id, ts, body, sig) };
      received.push(entry);
      for (const l of listeners) l(entry);
      res.writeHead(status).end();
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
