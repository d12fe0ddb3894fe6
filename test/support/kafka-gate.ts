/**
 * A gate between ONE client process and the shared test broker, so a test can make Kafka
 * unavailable to that process only — the broker itself keeps serving every other test file.
 *
 * Kafka clients bootstrap, then connect to the addresses the broker advertises in Metadata and
 * FindCoordinator answers; a plain TCP proxy would be bypassed after the first round trip. The
 * gate therefore reads the (length-prefixed) frames both ways, remembers the API key and version
 * of each request by correlation id, and rewrites the broker addresses in those two answers to
 * its own listener. Everything else is forwarded byte for byte. kafkajs 2.x speaks only
 * non-flexible versions of these APIs (Metadata ≤ v6, FindCoordinator ≤ v2), which is all this
 * parses.
 *
 * `close()` is "the broker stopped": open connections are cut and new ones are refused (accepted
 * and destroyed at once). `open()` lets connections through again.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

const METADATA = 3;
const FIND_COORDINATOR = 10;

export interface KafkaGate {
  /** `host:port` to give the client as its bootstrap broker. */
  broker: string;
  close(): void;
  open(): void;
  stop(): Promise<void>;
}

/** Splits a stream into Kafka frames (int32 size + payload). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

function str(host: string): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(host));
  b.writeInt16BE(Buffer.byteLength(host), 0);
  b.write(host, 2);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v, 0);
  return b;
}

/** Rewrites the broker addresses of a Metadata or FindCoordinator response frame. */
export function rewriteAddresses(frame: Buffer, apiKey: number, version: number, host: string, port: number): Buffer {
  const parts: Buffer[] = [];
  let at = 4 + 4; // size, correlation id
  const copyTo = (end: number) => {
    parts.push(frame.subarray(at, end));
    at = end;
  };
  const skipString = (nullable: boolean) => {
    const len = frame.readInt16BE(at);
    at += 2 + (nullable && len < 0 ? 0 : len);
  };
  const address = () => {
    // host (string), port (int32): replaced.
    const len = frame.readInt16BE(at);
    at += 2 + len + 4;
    parts.push(str(host), int32(port));
  };
  if (apiKey === METADATA) {
    if (version >= 3) copyTo(at + 4); // throttle_time_ms
    const count = frame.readInt32BE(at);
    copyTo(at + 4);
    for (let i = 0; i < count; i++) {
      copyTo(at + 4); // node_id
      address();
      if (version >= 1) {
        const start = at;
        skipString(true); // rack
        parts.push(frame.subarray(start, at));
      }
    }
  } else if (apiKey === FIND_COORDINATOR) {
    const start = at;
    if (version >= 1) at += 4; // throttle_time_ms
    at += 2; // error_code
    if (version >= 1) skipString(true); // error_message
    at += 4; // node_id
    parts.push(frame.subarray(start, at));
    address();
  } else {
    return frame;
  }
  parts.push(frame.subarray(at));
  const body = Buffer.concat([frame.subarray(4, 8), ...parts]);
  return Buffer.concat([int32(body.length), body]);
}

export async function startKafkaGate(target: string): Promise<KafkaGate> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  let closed = false;
  let port = 0;
  const server: Server = createServer((client) => {
    if (closed) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const requests = new Map<number, { apiKey: number; version: number }>();
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on(
      'data',
      framer((frame) => {
        requests.set(frame.readInt32BE(8), { apiKey: frame.readInt16BE(4), version: frame.readInt16BE(6) });
        upstream.write(frame);
      }),
    );
    upstream.on(
      'data',
      framer((frame) => {
        const correlation = frame.readInt32BE(4);
        const request = requests.get(correlation);
        requests.delete(correlation);
        client.write(request ? rewriteAddresses(frame, request.apiKey, request.version, '127.0.0.1', port) : frame);
      }),
    );
  });
  const close = () => {
    closed = true;
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    broker: `127.0.0.1:${port}`,
    close,
    open() {
      closed = false;
    },
    async stop() {
      close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
