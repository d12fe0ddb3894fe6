/**
 * Live streams: GET /r1/{instance}/{class}/{member}/{room}/stream/v1/{eventType}
 *
 * Server-Sent Events by default; the same request with `Upgrade: websocket` becomes a WebSocket
 * with the same semantics (transports.ts). The caller is the subscribing application named
 * in X-GovStack-Client; its subscription to the event type must be ACTIVE (any delivery mode: a
 * stream reads the room with its own groupless reader and never moves the subscription's consumer
 * group, so it takes nothing away from push delivery or the pull queue).
 *
 * Start: `Last-Event-ID` (or `cursor`) resumes right after the event that carried it; otherwise
 * `from` = now (default), earliest, or a date-time.
 */
import { type DataKeyRing, type Logger, RoomcastError } from '@roomcast/core';
import { upgradeWebSocket } from '@hono/node-server';
import { ApiRouter, type Principal, roomAddressOf } from '@roomcast/http';
import { eventMarks } from '@roomcast/redis';
import { type GrouplessReader, GrouplessReader as Reader, type PartitionPosition } from '@roomcast/kafka';
import type { RoomRoute, RoutingFollower } from '@roomcast/routing';
import { type ContentFilters, contractResolvers, type Runtime } from '@roomcast/runtime';
import type { Context } from 'hono';
import type { WebSocket } from 'ws';
import { decodeCursor, type LanePositions } from './cursor.ts';
import type { DeliveryLogWriter } from '../delivery-log.ts';
import { type EventStream, EventStream as Stream, type StreamEvent, type StreamSettings } from './event-stream.ts';
import { cancellationCheck, type PrepareDeps, recordPreparer } from './event.ts';
import type { OpenStream, StreamHub, Transport } from './hub.ts';
import type { StreamMetrics } from './metrics.ts';
import { pumpWebSocket, sseBody, type TransportHooks } from './transports.ts';

export const STREAM_PATH = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/stream/v1/{eventType}';

export interface StreamRouteDeps {
  runtime: Runtime;
  routing: RoutingFollower;
  hub: StreamHub;
  metrics: StreamMetrics;
  settings: StreamSettings;
  dataKeys: DataKeyRing | undefined;
  filters: ContentFilters;
  logger: Logger;
  /** Every event written to a stream is logged (mode stream, outcome streamed). */
  deliveryLog?: Pick<DeliveryLogWriter, 'write'>;
}

interface StreamQuery {
  from?: string;
  cursor?: string;
  maxSeconds?: number;
}

const RETRY_MS = 2000;
/** A WebSocket handshake that has not completed by then gives its stream back. */
const HANDSHAKE_MS = 10_000;

const DESCRIPTION = `Live events of the caller's subscription to this event type, as Server-Sent Events (text/event-stream), or as a WebSocket when the request carries \`Upgrade: websocket\`.

Each SSE event has \`id:\` = an opaque cursor and \`data:\` = the event item (GovStack EventItem fields plus partition, lane and key). Reconnecting with \`Last-Event-ID: <cursor>\` (or \`?cursor=\`) resumes right after that event: nothing missed, nothing repeated. The first message carries the start cursor alone. Heartbeat comment lines come when idle; \`event: end\` names the reason when the server ends the stream (max_duration, subscription_gone, credential_revoked, room_changed, server_stopping, kafka_error). Every stream ends after the process's maximum duration (ROOMCAST_STREAM_MAX_SECONDS, default one hour) or the client's maxSeconds, whichever is shorter; it ends within seconds when its API key is revoked, its application or member suspended, or its subscription paused, deleted or sent back for approval. A client that reads too slowly is disconnected (slow_reader) and may resume with its last id.

WebSocket messages are JSON: {type:"open",id}, {type:"event",id,data}, {type:"heartbeat",time}; the close code tells why the server ended it (1000 max_duration, 1001 server_stopping, 1011 kafka_error, 4001 slow_reader, 4002 subscription_gone, 4003 room_changed, 4004 credential_revoked). Any ACTIVE subscription may stream (PUSH, PULL or STREAM); streaming never moves its consumer group. Only the subscribing application itself may stream (admins get 403).`;

export function streamRoutes(d: StreamRouteDeps): ApiRouter {
  const router = new ApiRouter(contractResolvers(d.routing, d.runtime.keyUsage));
  router.add<unknown, StreamQuery>({
    method: 'get',
    path: STREAM_PATH,
    operationId: 'streamEvents',
    summary: "Live stream of the caller's subscription: SSE, or WebSocket on Upgrade (Roomcast extension)",
    description: DESCRIPTION,
    tags: ['roomcast'],
    govstackClient: true,
    params: { eventType: 'The subscribed event type' },
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        from: { type: 'string', maxLength: 40, description: 'Where to start without a cursor: now (default), earliest, or an RFC 3339 date-time' },
        cursor: { type: 'string', maxLength: 4096, description: 'Resume after this cursor (the Last-Event-ID header takes precedence)' },
        maxSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 604_800,
          description: 'End the stream after this many seconds (event: end, reason max_duration); the process maximum (ROOMCAST_STREAM_MAX_SECONDS) applies when it is shorter',
        },
      },
    },
    responses: {
      200: { description: 'The stream (text/event-stream); the body ends only when the stream ends', contentType: 'text/event-stream', schema: { type: 'string' } },
      101: { description: 'Switching to WebSocket (request sent with Upgrade: websocket)' },
      404: { description: 'No ACTIVE-or-PAUSED subscription of this client to this event type in this room (or no such room or type)' },
      409: { description: 'The subscription is PAUSED (subscription.invalid_state)' },
      429: { description: 'Too many streams of this subscription, or on this process (stream.limit_reached); see Retry-After' },
    },
    handler: (c, input) => openStream(d, c, input.principal, input.client as string, input.params.eventType ?? '', input.query),
  });
  return router;
}

async function openStream(d: StreamRouteDeps, c: Context, principal: Principal, client: string, eventType: string, query: StreamQuery): Promise<Response> {
  // Events are read by the subscribing application itself, as they are published by one.
  if (principal.role !== 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: 'Only the subscribing application may stream its events' });
  const index = d.routing.current();
  const room = index.room(roomAddressOf(c));
  const sub = room ? index.contract.subscriptions.find((s) => s.roomId === room.id && s.eventType === eventType && s.clientId === client) : undefined;
  if (!room || !sub) throw new RoomcastError('subscription.not_found', { detail: 'No approved subscription of this client to this event type in this room' });
  if (sub.status !== 'ACTIVE') throw new RoomcastError('subscription.invalid_state', { detail: `The subscription is ${sub.status}` });
  const header = c.req.header('last-event-id') || undefined;
  const cursor = header ?? query.cursor;
  const pointer = header !== undefined ? '/headers/Last-Event-ID' : '/query/cursor';
  const from = cursor === undefined ? startOf(query.from) : undefined;

  const slot = d.hub.reserve(sub.id);
  if ('refused' in slot) {
    d.metrics.refused.inc({ reason: slot.refused });
    const where = slot.refused === 'limit_subscription' ? 'for this subscription' : 'on this process';
    throw new RoomcastError('stream.limit_reached', { detail: `Too many streams open ${where}`, headers: { 'retry-after': '5' } });
  }
  let reader: GrouplessReader | undefined;
  try {
    const kafka = <T>(p: Promise<T>) =>
      p.catch((err: unknown) => {
        throw new RoomcastError('dependency.unavailable', { detail: 'Kafka is not reachable', cause: err });
      });
    reader = await kafka(Reader.open(d.runtime.kafka, [room.urgentTopic, room.topic]));
    const counts = { normal: reader.partitions(room.topic).length, urgent: reader.partitions(room.urgentTopic).length };
    const start = cursor !== undefined ? decodeCursor(cursor, room.id, counts, pointer) : lanes(room, await kafka(reader.offsets(from ?? 'latest')), counts);
    // The subscription the preparer reads is replaced by each generation's (hub.ts follow).
    const prepareDeps: PrepareDeps = { room, sub, dataKeys: d.dataKeys, metrics: d.metrics, filters: d.filters, logger: d.logger };
    const stream = new Stream({
      reader,
      room,
      start,
      settings: d.settings,
      prepare: recordPreparer(prepareDeps),
      cancelled: cancellationCheck({ room, sub, metrics: d.metrics, logger: d.logger }, eventMarks(d.runtime.redis, d.runtime.keys).isCancelled),
      logger: d.logger,
    });
    const transport: Transport = c.req.header('upgrade')?.toLowerCase() === 'websocket' ? 'websocket' : 'sse';
    const entry: Omit<OpenStream, 'closed'> = { stream, subscriptionId: sub.id, roomId: room.id, eventType, clientId: client, partitions: room.partitions,
      transport,
      keyId: principal.keyId,
      follow: (next) => {
        prepareDeps.sub = next;
      },
    };
    const written = (events: StreamEvent[]) => {
      d.metrics.events.inc({ subscription: sub.id, transport }, events.length);
      const time = new Date().toISOString();
      d.deliveryLog?.write(
        events.map((e) => ({
          eventId: e.eventId,
          subscriptionId: sub.id,
          roomId: room.id,
          eventType: sub.eventType,
          subscriber: sub.clientId,
          mode: 'stream',
          attempt: 1,
          outcome: 'streamed',
          state: 'SENT',
          httpStatus: null,
          errorClass: null,
          latencyMs: null,
          time,
          nextAttemptAt: null,
          publishedAt: e.publishedAt,
        })),
      );
    };
    // The client may ask for less than the process's maximum, never more.
    const lifetimeMs = Math.min(d.settings.maxDurationMs, (query.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000);
    const timer = setTimeout(() => stream.end('max_duration'), lifetimeMs);
    void stream.ended.then(() => clearTimeout(timer));
    const res = transport === 'websocket' ? await websocket(c, stream, written) : sse(c, stream, written);
    d.hub.add({ ...entry, closed: res.closed }, slot.release);
    stream.start();
    return res.response;
  } catch (err) {
    await reader?.close();
    slot.release();
    throw err;
  }
}

function startOf(from: string | undefined): 'latest' | 'earliest' | { timestamp: number } {
  if (from === undefined || from === 'now') return 'latest';
  if (from === 'earliest') return 'earliest';
  const t = Date.parse(from);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(from) || !Number.isFinite(t)) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/query/from', message: 'must be now, earliest or an RFC 3339 date-time' }] });
  }
  return { timestamp: t };
}

function lanes(room: RoomRoute, positions: PartitionPosition[], counts: { normal: number; urgent: number }): LanePositions {
  const out: LanePositions = { normal: Array.from({ length: counts.normal }, () => 0n), urgent: Array.from({ length: counts.urgent }, () => 0n) };
  for (const p of positions) {
    const lane = p.topic === room.urgentTopic ? out.urgent : out.normal;
    if (p.partition < lane.length) lane[p.partition] = BigInt(p.offset);
  }
  return out;
}

interface Opened {
  response: Response;
  closed: Promise<void>;
}

function sse(c: Context, stream: EventStream, written: TransportHooks['written']): Opened {
  const outgoing = (c.env as { outgoing?: import('node:http').ServerResponse } | undefined)?.outgoing;
  const closed = new Promise<void>((resolve) => {
    if (!outgoing) return void stream.ended.then(() => resolve());
    outgoing.once('close', () => {
      stream.end('client_closed');
      resolve();
    });
  });
  void stream.ended.then((reason) => {
    if (!outgoing || reason === 'client_closed') return;
    // The end event is written when the socket drains; a socket that does not is cut off.
    const grace = reason === 'slow_reader' ? 0 : 2000;
    setTimeout(() => outgoing.destroy(), grace).unref();
  });
  const response = new Response(sseBody(stream, { written }, RETRY_MS), {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
  });
  return { response, closed };
}

async function websocket(c: Context, stream: EventStream, written: TransportHooks['written']): Promise<Opened> {
  let opened: (ws: WebSocket) => void = () => {};
  const socket = new Promise<WebSocket>((resolve) => {
    opened = resolve;
  });
  const handshake = setTimeout(() => stream.end('handshake_failed'), HANDSHAKE_MS);
  const closed = new Promise<void>((resolve) => {
    void socket.then((ws) => ws.once('close', () => resolve()));
    void stream.ended.then((reason) => {
      if (reason === 'handshake_failed') resolve();
    });
  });
  const response = await upgradeWebSocket(c, {
    onOpen: (_evt, ctx) => {
      clearTimeout(handshake);
      const ws = ctx.raw as unknown as WebSocket;
      opened(ws);
      void pumpWebSocket(stream, ws, { written });
    },
  });
  return { response, closed };
}
