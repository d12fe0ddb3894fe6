/**
 * Signed checkpoints (Ed25519). A checkpoint states "stream S had chain head H at offset O",
 * signed with the log signing key named by its key id. The signed text is
 *
 *   roomcast-log-checkpoint/1 \n stream \n offset \n entry hash (hex) \n signed at (ISO) \n key id
 *
 * Keys come from configuration: the signing key as base64 PKCS#8 DER (or PEM) with its id, and
 * the public keys of retired signing keys (`id:base64 SPKI`, comma-separated) so checkpoints
 * signed before a rotation still verify. `GET /api/v1/log/keys` publishes the public keys.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';

export interface Checkpoint {
  stream: string;
  offset: string;
  entryHash: Buffer;
  signedAt: Date;
  keyId: string;
  signature: Buffer;
}

export interface LogSigner {
  keyId: string;
  sign(c: Omit<Checkpoint, 'signature' | 'keyId'>): Checkpoint;
  /** Public keys by id (the signing key's and retired ones), base64 SPKI DER. */
  publicKeys(): Record<string, string>;
}

export function checkpointText(c: Omit<Checkpoint, 'signature'>): string {
  return ['roomcast-log-checkpoint/1', c.stream, c.offset, c.entryHash.toString('hex'), c.signedAt.toISOString(), c.keyId].join('\n');
}

function privateKeyOf(text: string): KeyObject {
  const t = text.trim();
  const key = t.startsWith('-----') ? createPrivateKey(t) : createPrivateKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the log signing key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

export function publicKeyOf(base64Spki: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(base64Spki.trim(), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a log verification key must be Ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

/** Why a configured signing key is unusable, or undefined. */
export function signingKeyProblem(text: string): string | undefined {
  try {
    privateKeyOf(text);
    return undefined;
  } catch (err) {
    return `must be an Ed25519 private key, base64 PKCS#8 DER or PEM (generate one with \`npm run log -- keygen\`): ${(err as Error).message}`;
  }
}

/** A fresh key pair, as configuration expects it. */
export function generateSigningKey(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export function logSigner(keyId: string, privateKeyText: string, retired: Record<string, string> = {}): LogSigner {
  const key = privateKeyOf(privateKeyText);
  const own = createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
  for (const pub of Object.values(retired)) publicKeyOf(pub);
  return {
    keyId,
    sign(c) {
      const body = { ...c, keyId };
      return { ...body, signature: sign(null, Buffer.from(checkpointText(body), 'utf8'), key) };
    },
    publicKeys: () => ({ ...retired, [keyId]: own }),
  };
}

export function verifyCheckpoint(c: Checkpoint, publicKeys: Record<string, string>): boolean {
  const pub = publicKeys[c.keyId];
  if (!pub) return false;
  return verify(null, Buffer.from(checkpointText(c), 'utf8'), publicKeyOf(pub), c.signature);
}

/** `id:base64,id:base64` → map (the retired verification keys setting). */
export function parseKeyList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').filter((p) => p.trim() !== '')) {
    const at = item.indexOf(':');
    if (at <= 0) throw new Error(`"${item}" is not id:base64`);
    out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return out;
}
