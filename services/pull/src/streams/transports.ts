/**
 * The two ways a stream reaches its client, with the same semantics:
 *
 * SSE (text/event-stream): first `retry:` and an id-only message carrying the start cursor (so
 * a client that drops before any event resumes from where it started, not from "now"), then
 *   id: <cursor>            data: <event item JSON>
 * per event, `: heartbeat <time>` comment lines when idle, and `event: end` with the reason
 * when the server ends the stream on purpose. The body is a pull-based ReadableStream: the HTTP
 * server asks for the next chunk only when the socket drained, which is the back-pressure.
 *
 * WebSocket: text frames of JSON — `{"type":"open","id":<cursor>}`, then
 * `{"type":"event","id":<cursor>,"data":<event item>}` and `{"type":"heartbeat","time":…}`;
 * the server's reason to end is the close frame's code and reason (see CLOSE_CODES). At most
 * WS_HIGH_WATER bytes wait in the socket; beyond that the pump waits for them to be written.
 */
import type { WebSocket } from 'ws';
import type { EndReason, EventStream, StreamEvent } from './event-stream.ts';

const encoder = new TextEncoder();
/** Bytes of events written in one SSE chunk or before a WebSocket waits for its socket. */
const CHUNK_BYTES = 64 * 1024;
const WS_HIGH_WATER = 256 * 1024;

export const CLOSE_CODES: Record<EndReason, number> = {
  client_closed: 1000,
  max_duration: 1000,
  server_stopping: 1001,
  kafka_error: 1011,
  slow_reader: 4001,
  subscription_gone: 4002,
  room_changed: 4003,
  credential_revoked: 4004,
  handshake_failed: 1011,
};

function sseEvent(e: StreamEvent): string {
  // A data line may not hold a line break: SSE joins several data lines with \n again.
  return `id: ${e.id}\ndata: ${e.data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}

export interface TransportHooks {
  /** Called with the events just written (handed to the socket). */
  written(events: StreamEvent[]): void;
}

export function sseBody(stream: EventStream, hooks: TransportHooks, retryMs: number): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(`retry: ${retryMs}\nid: ${stream.startCursor}\n\n`));
      },
      async pull(controller) {
        const item = await stream.next();
        if (!item) {
          const reason = stream.endReason;
          if (reason !== 'client_closed' && reason !== 'slow_reader') {
            controller.enqueue(encoder.encode(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`));
          }
          controller.close();
          return;
        }
        if (item.kind === 'heartbeat') {
          controller.enqueue(encoder.encode(`: heartbeat ${new Date().toISOString()}\n\n`));
          return;
        }
        const events = [item, ...stream.takeBuffered(CHUNK_BYTES)];
        controller.enqueue(encoder.encode(events.map(sseEvent).join('')));
        hooks.written(events);
      },
      cancel() {
        stream.end('client_closed');
      },
    },
    { highWaterMark: 0 },
  );
}

/** Sends and resolves once the frame has been handed to the socket (or failed). */
function send(ws: WebSocket, text: string): Promise<void> {
  return new Promise((resolve) => ws.send(text, () => resolve()));
}

/** Pumps a stream into an open WebSocket until either side ends it. */
export async function pumpWebSocket(stream: EventStream, ws: WebSocket, hooks: TransportHooks): Promise<void> {
  ws.on('close', () => stream.end('client_closed'));
  ws.on('error', () => stream.end('client_closed'));
  // Clients have nothing to say on a stream; what they send is ignored.
  let pending = send(ws, JSON.stringify({ type: 'open', id: stream.startCursor }));
  for (;;) {
    const item = await stream.next();
    if (!item) break;
    if (item.kind === 'heartbeat') {
      pending = send(ws, JSON.stringify({ type: 'heartbeat', time: new Date().toISOString() }));
    } else {
      const events = [item, ...stream.takeBuffered(CHUNK_BYTES)];
      for (const e of events) pending = send(ws, `{"type":"event","id":${JSON.stringify(e.id)},"data":${e.data}}`);
      hooks.written(events);
    }
    // Back-pressure: with too much unsent, wait until the socket took it (or the stream ended).
    if (ws.bufferedAmount > WS_HIGH_WATER) await Promise.race([pending, stream.ended]);
  }
  const reason = stream.endReason ?? 'client_closed';
  if (reason === 'client_closed' || ws.readyState !== ws.OPEN) return;
  ws.close(CLOSE_CODES[reason], reason);
  // A reader that stopped reading never lets the close frame through: cut it off.
  const grace = reason === 'slow_reader' ? 200 : 2000;
  setTimeout(() => ws.terminate(), grace).unref();
}
