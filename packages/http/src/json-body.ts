/**
 * Reads a JSON request body with the checks every write route needs: content type, a size
 * limit enforced while reading (not after buffering everything), strict UTF-8 and valid JSON. Failures are
 * catalog errors, so callers answer 4xx and change nothing.
 */
import { RoomcastError } from '@roomcast/core';
import type { Context } from 'hono';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function readJsonBody(c: Context, limit: number = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new RoomcastError('request.unsupported_media_type', { detail: `Content-Type was "${type || '(none)'}"; send application/json` });
  }
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    throw new RoomcastError('request.too_large', { detail: `Body is ${declared} bytes; the limit is ${limit}` });
  }
  const body = c.req.raw.body;
  if (!body) throw new RoomcastError('request.invalid_json', { detail: 'The request has no body' });
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new RoomcastError('request.too_large', { detail: `Body exceeds the limit of ${limit} bytes` });
    chunks.push(chunk);
  }
  let text: string;
  try {
    // Strict decoding: a lone continuation byte or an overlong sequence is refused instead of
    // being silently replaced with U+FFFD (which would change the payload the caller signed).
    text = strictUtf8.decode(Buffer.concat(chunks));
  } catch {
    throw new RoomcastError('request.invalid_encoding', { detail: 'Body is not valid UTF-8' });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RoomcastError('request.invalid_json', { detail: `Body is not valid JSON: ${(err as Error).message}` });
  }
}
