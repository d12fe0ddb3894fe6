/**
 * Identifiers: UUIDv7 for events (time-ordered, so ids sort by publish time), prefixed random
 * ids for control-plane objects (`mem_…`, `room_…`), and API keys that are shown once and
 * stored only as a SHA-256 hash.
 */
import { createHash, randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

/** RFC 9562 UUIDv7; monotonic within a process via a 12-bit counter in rand_a. */
export function uuidv7(now: number = Date.now()): string {
  if (now <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs += 1; // counter wrapped: borrow the next millisecond
    now = lastMs;
  } else {
    lastMs = now;
    seq = randomBytes(2).readUInt16BE(0) & 0x3ff; // leave headroom for increments
  }
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export type IdPrefix = 'mem' | 'app' | 'key' | 'room' | 'evt' | 'pub' | 'sub' | 'grant' | 'alw' | 'dk';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export const API_KEY_PREFIX = 'rck_';

export interface IssuedKey {
  /** The whole key: shown to its owner once, never stored. */
  key: string;
  /** Public, non-secret part shown in key lists. */
  prefix: string;
  /** SHA-256 hex of the whole key: what is stored and looked up. */
  hash: string;
}

/** 256 random bits, base64url, with a recognisable prefix (secret scanners can match it). */
export function issueApiKey(): IssuedKey {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + 6), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A secret for Standard Webhooks signatures: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
