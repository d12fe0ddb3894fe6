/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}` with the base64-decoded part of a `whsec_`
 * secret, sent as `v1,<base64>`. While a secret rotates, one signature per secret is sent,
 * space-separated, so receivers holding either secret verify the request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

export function signOne(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', keyOf(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string | Buffer): string {
  return secrets.map((s) => signOne(s, id, timestamp, body)).join(' ');
}

/** Receiver-side check, used by the demo subscriber and by tests. */
export function verifySignature(secret: string, id: string, timestamp: number, body: string | Buffer, header: string): boolean {
  const expected = Buffer.from(signOne(secret, id, timestamp, body));
  return header.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
