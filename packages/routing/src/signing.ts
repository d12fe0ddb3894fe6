/**
 * The routing contract is signed: the data plane trusts it for who may publish, which key
 * hashes authenticate and where events go, so a write to Redis by anyone but the control plane
 * must not be able to grant access. The stored text is one header line and the contract's JSON:
 *
 *     rcsig1 <key id> <base64url HMAC-SHA256 over the JSON text>\n<JSON>
 *
 * under a key only the control plane and the data plane hold (`ROOMCAST_ROUTING_KEY`). The key
 * id is the first 16 hex digits of the key's SHA-256, so several keys can be accepted during a
 * rotation (`ROOMCAST_PREVIOUS_ROUTING_KEYS`) while only the current one signs.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = 'rcsig1';

export interface ContractKeys {
  /** Signs with the current key. */
  sign(json: string): string;
  /** The JSON text of a signed contract, or throws `ContractSignatureError`. */
  open(stored: string): string;
}

export class ContractSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractSignatureError';
  }
}

export const routingKeyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

const mac = (key: Buffer, json: string) => createHmac('sha256', key).update(json).digest();

/** Keys of the routing contract: the first signs, all of them verify. */
export function contractKeys(current: Buffer, previous: Buffer[] = []): ContractKeys {
  if (current.length < 32) throw new Error('the routing key must be at least 32 bytes');
  const byId = new Map([current, ...previous].map((k) => [routingKeyId(k), k]));
  const currentId = routingKeyId(current);
  return {
    sign: (json) => `${HEADER} ${currentId} ${mac(current, json).toString('base64url')}\n${json}`,
    open(stored) {
      const newline = stored.indexOf('\n');
      const [tag, kid = '', sig = ''] = (newline < 0 ? '' : stored.slice(0, newline)).split(' ');
      if (tag !== HEADER) throw new ContractSignatureError('the stored routing contract is not signed');
      const key = byId.get(kid);
      if (!key) throw new ContractSignatureError(`the routing contract is signed with an unknown key ${kid.slice(0, 16)}`);
      const json = stored.slice(newline + 1);
      const expected = mac(key, json);
      const given = Buffer.from(sig, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ContractSignatureError('the routing contract signature does not match');
      return json;
    },
  };
}

/** The key used when none is configured, in development mode only: it protects nothing. */
export const DEVELOPMENT_ROUTING_KEY = createHash('sha256').update('roomcast development routing key').digest();
