/**
 * Envelope encryption of classified payloads (PHI, PII, CONFIDENTIAL), AES-256-GCM throughout.
 *
 * Two layers: each room has data keys (random 32 bytes) that encrypt event payloads; a data key
 * is stored and carried only wrapped (encrypted) under a master key from configuration. Rotating
 * a room's data key adds a key (old ones keep decrypting); rotating the master key re-wraps the
 * data keys and never touches Kafka.
 *
 * Sealed event payload (what follows the 5-byte Confluent prefix of the record value):
 *
 *   offset 0      1 byte    envelope version (0x01; a JSON payload starts with '{' = 0x7b)
 *   offset 1      12 bytes  nonce (random per event)
 *   offset 13     n bytes   ciphertext of the JSON payload
 *   offset 13+n   16 bytes  GCM authentication tag
 *
 * The data key's id travels in the `rc-key-id` header. The additional authenticated data binds
 * the ciphertext to its record: room id, event type, event id and key id, so a ciphertext moved
 * to another record (or another room, type or id) fails to decrypt. A wrapped data key has the
 * same layout (base64), with the room id, key id and master key id as its AAD.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

export const ENVELOPE_VERSION = 1;
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;

/** A key that wraps data keys, named by an id that wrapped keys record. */
export interface MasterKey {
  id: string;
  key: KeyObject;
}

/** A data key as stored in PostgreSQL and carried in the routing contract: never in plain. */
export interface WrappedDataKey {
  id: string;
  masterKeyId: string;
  /** base64 of version, nonce, encrypted key and tag. */
  wrapped: string;
}

/** What a sealed payload is bound to: moving it to another record makes it undecryptable. */
export interface EnvelopeContext {
  roomId: string;
  eventType: string;
  eventId: string;
  keyId: string;
}

export class EnvelopeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvelopeError';
  }
}

/** Why a base64 master key is unusable, or undefined when it is 32 bytes of proper base64. */
export function masterKeyProblem(base64: string): string | undefined {
  const trimmed = base64.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return 'must be base64 (generate one with `openssl rand -base64 32`)';
  const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  return bytes.length === KEY_BYTES ? undefined : `must decode to ${KEY_BYTES} bytes, not ${bytes.length} (generate one with \`openssl rand -base64 32\`)`;
}

export function masterKey(id: string, base64: string): MasterKey {
  const problem = masterKeyProblem(base64);
  if (problem) throw new EnvelopeError(`master key ${id} ${problem}`);
  const trimmed = base64.trim();
  return { id, key: createSecretKey(Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64')) };
}

function seal(key: KeyObject, aad: Buffer, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = Buffer.allocUnsafe(1);
  head[0] = ENVELOPE_VERSION;
  return Buffer.concat([head, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: KeyObject, aad: Buffer, envelope: Buffer): Buffer {
  if (envelope.length < HEADER_BYTES + TAG_BYTES) throw new EnvelopeError('envelope too short');
  if (envelope[0] !== ENVELOPE_VERSION) throw new EnvelopeError(`unknown envelope version ${envelope[0]}`);
  const nonce = envelope.subarray(1, HEADER_BYTES);
  const tag = envelope.subarray(envelope.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(envelope.subarray(HEADER_BYTES, envelope.length - TAG_BYTES)), decipher.final()]);
  } catch (err) {
    // GCM says only "unable to authenticate": wrong key, tampered bytes or another record's AAD.
    throw new EnvelopeError('envelope does not authenticate (wrong key, tampered, or moved from another record)', { cause: err });
  }
}

const eventAad = (c: EnvelopeContext) => Buffer.from(`rc-event/1\u0000${c.roomId}\u0000${c.eventType}\u0000${c.eventId}\u0000${c.keyId}`, 'utf8');
const keyAad = (roomId: string, keyId: string, masterKeyId: string) => Buffer.from(`rc-data-key/1\u0000${roomId}\u0000${keyId}\u0000${masterKeyId}`, 'utf8');

/** Encrypts an event payload under a room's data key (one AES-GCM call, fresh random nonce). */
export function sealPayload(dataKey: KeyObject, ctx: EnvelopeContext, plaintext: Buffer): Buffer {
  return seal(dataKey, eventAad(ctx), plaintext);
}

/** Decrypts a sealed payload; throws EnvelopeError for a wrong key, tampering or another record's context. */
export function openPayload(dataKey: KeyObject, ctx: EnvelopeContext, envelope: Buffer): Buffer {
  return open(dataKey, eventAad(ctx), envelope);
}

/** A fresh data key for a room, wrapped under the master key; the plain key is not kept. */
export function newWrappedDataKey(master: MasterKey, roomId: string, keyId: string): WrappedDataKey {
  const plain = randomBytes(KEY_BYTES);
  try {
    return { id: keyId, masterKeyId: master.id, wrapped: seal(master.key, keyAad(roomId, keyId, master.id), plain).toString('base64') };
  } finally {
    plain.fill(0);
  }
}

/** Unwraps a room's data key with the master key it names; throws EnvelopeError when it cannot. */
export function unwrapDataKey(masters: ReadonlyMap<string, MasterKey>, roomId: string, k: WrappedDataKey): KeyObject {
  const master = masters.get(k.masterKeyId);
  if (!master) throw new EnvelopeError(`data key ${k.id} is wrapped under master key ${k.masterKeyId}, which is not configured`);
  const plain = open(master.key, keyAad(roomId, k.id, k.masterKeyId), Buffer.from(k.wrapped, 'base64'));
  try {
    return createSecretKey(plain);
  } finally {
    plain.fill(0);
  }
}

/** Re-wraps a data key under another master key (master-key rotation): same key, same id. */
export function rewrapDataKey(masters: ReadonlyMap<string, MasterKey>, to: MasterKey, roomId: string, k: WrappedDataKey): WrappedDataKey {
  const plain = unwrapDataKey(masters, roomId, k).export();
  try {
    return { id: k.id, masterKeyId: to.id, wrapped: seal(to.key, keyAad(roomId, k.id, to.id), plain).toString('base64') };
  } finally {
    plain.fill(0);
  }
}

const SECRET_PREFIX = 'enc1:';
const secretAad = (subject: string, masterKeyId: string) => Buffer.from(`rc-secret/1\u0000${subject}\u0000${masterKeyId}`, 'utf8');

/**
 * Secrets stored at rest (subscription signing secrets, in PostgreSQL and in the routing
 * contract in Redis) sealed under the current master key and bound to their subject (the
 * subscription id): `enc1:<master key id>:<base64url envelope>`. Without a master key they are
 * kept as they are; a value without the prefix (stored before) opens as itself.
 */
export class SecretBox {
  readonly #masters: Map<string, MasterKey>;
  readonly #current: MasterKey | undefined;
  readonly #opened = new Map<string, string>();

  constructor(masters: readonly MasterKey[]) {
    this.#masters = new Map(masters.map((m) => [m.id, m]));
    this.#current = masters[0];
  }

  /** Whether `stored` is sealed under the current master key (else `seal(open(…))` would change it). */
  current(stored: string): boolean {
    return this.#current === undefined ? !stored.startsWith(SECRET_PREFIX) : stored.startsWith(`${SECRET_PREFIX}${this.#current.id}:`);
  }

  seal(subject: string, secret: string): string {
    const m = this.#current;
    if (!m) return secret;
    return `${SECRET_PREFIX}${m.id}:${seal(m.key, secretAad(subject, m.id), Buffer.from(secret, 'utf8')).toString('base64url')}`;
  }

  open(subject: string, stored: string): string {
    if (!stored.startsWith(SECRET_PREFIX)) return stored;
    const cached = this.#opened.get(`${subject}\u0000${stored}`);
    if (cached !== undefined) return cached;
    const rest = stored.slice(SECRET_PREFIX.length);
    const colon = rest.indexOf(':');
    const id = rest.slice(0, colon);
    const master = this.#masters.get(id);
    if (colon < 0 || !master) throw new EnvelopeError(`a stored secret is sealed under master key ${id}, which is not configured`);
    const plain = open(master.key, secretAad(subject, id), Buffer.from(rest.slice(colon + 1), 'base64url')).toString('utf8');
    // One entry per live secret; the bound only matters if secrets churn for a long time.
    if (this.#opened.size >= 10_000) this.#opened.clear();
    this.#opened.set(`${subject}\u0000${stored}`, plain);
    return plain;
  }
}
