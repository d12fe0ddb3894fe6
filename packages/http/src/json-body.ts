/**
 * Reads a JSON request body with the checks every write route needs: content type, a size
 * limit enforced while reading (not after buffering everything), strict UTF-8 and valid JSON. Failures are
 * catalog errors, so callers answer 4xx and change nothing.
 */
import { RoomcastError } from '@roomcast/core';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `onSize`, when given, is told the body's size once it is read and before it is decoded and
 * parsed (the costly part); it may throw to refuse the request (the ingress's byte budget).
 */
export async function readJsonBody(c: Context, limit: number = DEFAULT_BODY_LIMIT, onSize?: (bytes: number) => void): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new RoomcastError('request.unsupported_media_type', { detail: `Content-Type was "${type || '(none)'}"; send application/json` });
  }
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    throw new RoomcastError('request.too_large', { detail: `Body is ${declared} bytes; the limit is ${limit}` });
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const bytes = incoming instanceof Readable && !incoming.readableDidRead ? await readIncoming(incoming, limit) : await readWebBody(c, limit);
  onSize?.(bytes.byteLength);
  let text: string;
  try {
    // Strict decoding: a lone continuation byte or an overlong sequence is refused instead of
    // being silently replaced with U+FFFD (which would change the payload the caller signed).
    text = strictUtf8.decode(bytes);
  } catch {
    throw new RoomcastError('request.invalid_encoding', { detail: 'Body is not valid UTF-8' });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RoomcastError('request.invalid_json', { detail: `Body is not valid JSON: ${(err as Error).message}` });
  }
}

const tooLarge = (limit: number) => new RoomcastError('request.too_large', { detail: `Body exceeds the limit of ${limit} bytes` });

/** Through the fetch Request's web stream (any runtime; tests calling `app.request`). */
async function readWebBody(c: Context, limit: number): Promise<Buffer> {
  const body = c.req.raw.body;
  if (!body) throw new RoomcastError('request.invalid_json', { detail: 'The request has no body' });
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Straight from Node's request stream (@hono/node-server passes it as `env.incoming`): the
 * same checks without building a web ReadableStream and Request per call, which cost a
 * noticeable share of a publish's CPU. Past the limit the rest is drained (not buffered), so
 * the connection stays usable for the 413.
 */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (fn: () => void) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      fn();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        done(() => reject(tooLarge(limit)));
        incoming.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(() => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    const onError = (err: Error) => done(() => reject(new RoomcastError('request.invalid_json', { detail: `The request body could not be read: ${err.message}` })));
    const onClose = () => (incoming.readableEnded ? onEnd() : onError(new Error('connection closed')));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
