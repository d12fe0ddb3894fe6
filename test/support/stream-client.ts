/**
 * Stream clients for the live-stream tests: an SSE reader over node:http (so a test can stop
 * reading, as a slow client would) that parses the event stream as EventSource does, and a
 * WebSocket reader over `ws` (which, unlike the built-in client, can send API-key headers).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string | undefined;
}

export interface StreamHeaders {
  key?: string;
  client?: string;
  lastEventId?: string;
}

function headersOf(h: StreamHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (h.key) out.authorization = `Bearer ${h.key}`;
  if (h.client) out['x-govstack-client'] = h.client;
  if (h.lastEventId) out['last-event-id'] = h.lastEventId;
  return out;
}

async function until<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface SseClient {
  status: number;
  contentType: string | undefined;
  /** The body, when the answer was not a stream (a problem document). */
  problem: Record<string, unknown> | undefined;
  messages: SseMessage[];
  /** Messages with data (events), parsed. */
  events(): { id: string; data: Record<string, unknown> }[];
  comments: string[];
  /** The last id seen, as EventSource keeps it (id-only messages count). */
  lastEventId: string | undefined;
  ended: Promise<void>;
  waitForEvents(n: number, timeoutMs?: number): Promise<{ id: string; data: Record<string, unknown> }[]>;
  waitFor<T>(check: () => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  /** Stops reading the socket (a client that hangs). */
  pause(): void;
  resume(): void;
  close(): void;
}

export function openSse(baseUrl: string, path: string, h: StreamHeaders): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { headers: { accept: 'text/event-stream', ...headersOf(h) } });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      const client: SseClient = {
        status: res.statusCode ?? 0,
        contentType: res.headers['content-type'],
        problem: undefined,
        messages: [],
        comments: [],
        lastEventId: undefined,
        ended: new Promise((done) => {
          res.on('close', () => done());
          res.on('error', () => done());
        }),
        events: () => client.messages.filter((m) => m.data !== undefined).map((m) => ({ id: m.id ?? '', data: JSON.parse(m.data ?? '{}') as Record<string, unknown> })),
        waitForEvents: (n, timeoutMs = 15_000) => until(() => (client.events().length >= n ? client.events() : undefined), `${n} events`, timeoutMs),
        waitFor: (check, what, timeoutMs = 15_000) => until(check, what, timeoutMs),
        pause: () => {
          res.pause();
          res.socket.pause();
        },
        resume: () => {
          res.socket.resume();
          res.resume();
        },
        close: () => {
          req.destroy();
        },
      };
      if (!client.contentType?.startsWith('text/event-stream')) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          client.problem = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          resolve(client);
        });
        return;
      }
      let buffer = '';
      let current: SseMessage = { id: undefined, event: undefined, data: undefined };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (current.id !== undefined) client.lastEventId = current.id;
            if (current.id !== undefined || current.data !== undefined || current.event !== undefined) client.messages.push(current);
            current = { id: undefined, event: undefined, data: undefined };
          } else if (line.startsWith(':')) {
            client.comments.push(line.slice(1).trim());
          } else {
            const at = line.indexOf(':');
            const field = at < 0 ? line : line.slice(0, at);
            const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
            if (field === 'id') current.id = value;
            else if (field === 'event') current.event = value;
            else if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
          }
          nl = buffer.indexOf('\n');
        }
      });
      resolve(client);
    });
    req.end();
  });
}

export interface WsClient {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  events(): { id: string; data: Record<string, unknown> }[];
  closed: Promise<{ code: number; reason: string }>;
  waitForEvents(n: number, timeoutMs?: number): Promise<{ id: string; data: Record<string, unknown> }[]>;
  waitFor<T>(check: () => T | undefined, what: string, timeoutMs?: number): Promise<T>;
}

/** Opens a WebSocket stream; rejects with the HTTP status when the upgrade is refused. */
export function openWs(baseUrl: string, path: string, h: StreamHeaders): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, { headers: headersOf(h) });
    const client: WsClient = {
      ws,
      messages: [],
      events: () => client.messages.filter((m) => m.type === 'event').map((m) => ({ id: String(m.id), data: m.data as Record<string, unknown> })),
      closed: new Promise((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString() }))),
      waitForEvents: (n, timeoutMs = 15_000) => until(() => (client.events().length >= n ? client.events() : undefined), `${n} events`, timeoutMs),
      waitFor: (check, what, timeoutMs = 15_000) => until(check, what, timeoutMs),
    };
    ws.on('message', (data) => client.messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
    ws.on('open', () => resolve(client));
  });
}
