// Readiness probes that speak each server's own protocol.
//
// A TCP connect only proves a socket is bound; these probes prove the server answers
// requests (Kafka ApiVersions, Redis PING, HTTP 200), so `up` returns when clients can work.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const PROBE_TIMEOUT_MS = 2_000;

/** Polls `probe` until it returns true; fails after `timeoutMs` or when `abort` says why. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    const reason = opts.abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs / 1000} s`);
    await sleep(opts.intervalMs ?? 150);
  }
}

/** Sends `request` and resolves with bytes once `complete` accepts the accumulated reply. */
function exchange(host: string, port: number, request: Buffer, complete: (b: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err?: Error): void => {
      socket.destroy();
      if (err) reject(err);
      else resolvePromise(buf);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(new Error('timeout')));
    socket.on('error', done);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (complete(buf)) done();
    });
    socket.on('end', () => done(new Error('connection closed')));
  });
}

/** True when something accepts TCP connections on host:port. */
export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    socket.setTimeout(PROBE_TIMEOUT_MS, () => {
      socket.destroy();
      resolvePromise(false);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.on('error', () => resolvePromise(false));
  });
}

/**
 * Kafka ApiVersions v3 (request header v2, flexible body); the response header is v0 even
 * for flexible versions. A broker answers it only after its listeners are open, and
 * error_code 0 means it accepted our client.
 */
export async function kafkaApiVersions(host: string, port: number): Promise<boolean> {
  const correlationId = 0x524d4353; // "RMCS"
  const clientId = Buffer.from('roomcast-infra');
  const softwareName = Buffer.from('roomcast-infra');
  const softwareVersion = Buffer.from('1');
  const body = Buffer.concat([
    int16(18), // api_key ApiVersions
    int16(3), // api_version
    int32(correlationId),
    int16(clientId.length),
    clientId, // header v2 keeps a classic nullable string for client_id
    Buffer.from([0]), // header tagged fields
    Buffer.from([softwareName.length + 1]),
    softwareName, // compact string: length + 1 as unsigned varint
    Buffer.from([softwareVersion.length + 1]),
    softwareVersion,
    Buffer.from([0]), // body tagged fields
  ]);
  const reply = await exchange(host, port, Buffer.concat([int32(body.length), body]), (b) => b.length >= 4 && b.length >= 4 + b.readInt32BE(0));
  return reply.length >= 10 && reply.readInt32BE(4) === correlationId && reply.readInt16BE(8) === 0;
}

/** Redis PING → +PONG (an -NOAUTH reply still proves a live server, but not a usable one). */
export async function redisPing(host: string, port: number, password?: string): Promise<boolean> {
  const cmds = password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n';
  const reply = await exchange(host, port, Buffer.from(cmds), (b) => b.includes('\r\n', password ? b.indexOf('\r\n') + 2 : 0));
  return reply.toString().trimEnd().endsWith('+PONG');
}

/** GET `url` and report whether it answered 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  await res.arrayBuffer();
  return res.ok;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
