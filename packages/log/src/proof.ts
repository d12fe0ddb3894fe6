/**
 * Proof bundles: everything a third party needs to check, offline, that the log holds one entry
 * — the entry's canonical fields, the hash it chains from, the content digests of the stream's
 * later rows up to a signed checkpoint, the checkpoint and the public key that signed it.
 *
 *   h = SHA-256(prevHash ‖ SHA-256(JSON(entry)));  for d in links: h = SHA-256(h ‖ d)
 *   h must equal checkpoint.entryHash, and the checkpoint's signature must verify.
 *
 * `verifyProof` is that check; scripts/log-verify-proof.mjs repeats it with node:crypto alone
 * for anyone who does not run Roomcast.
 */
import { createPublicKey, verify } from 'node:crypto';
import { canonical, contentHash, DELIVERY_FIELDS, EVENT_FIELDS, type LogKind, linkHash } from './entry.ts';
import { checkpointText } from './signing.ts';

export const PROOF_FORMAT = 'roomcast-log-proof/1';

export interface ProofBundle {
  format: typeof PROOF_FORMAT;
  kind: LogKind;
  stream: string;
  /** Field names of `entry` after its first element (the kind). */
  fields: readonly string[];
  /** The canonical array: [kind, ...field values as strings or null]. */
  entry: (string | null)[];
  prevHash: string;
  entryHash: string;
  /** Content digests (hex) of the stream's rows after the entry, up to the checkpoint. */
  links: string[];
  checkpoint: { stream: string; offset: string; entryHash: string; signedAt: string; keyId: string; signature: string };
  publicKey: { keyId: string; spki: string };
}

export function proofBundle(input: {
  kind: LogKind;
  stream: string;
  values: (string | null)[];
  prevHash: Buffer;
  entryHash: Buffer;
  links: Buffer[];
  checkpoint: { stream: string; koffset: string; entry_hash: Buffer; signed_at: Date; key_id: string; signature: Buffer };
  publicKey: string;
}): ProofBundle {
  return {
    format: PROOF_FORMAT,
    kind: input.kind,
    stream: input.stream,
    fields: input.kind === 'event' ? EVENT_FIELDS : DELIVERY_FIELDS,
    entry: JSON.parse(canonical(input.kind, input.values)) as (string | null)[],
    prevHash: input.prevHash.toString('hex'),
    entryHash: input.entryHash.toString('hex'),
    links: input.links.map((l) => l.toString('hex')),
    checkpoint: {
      stream: input.checkpoint.stream,
      offset: input.checkpoint.koffset,
      entryHash: input.checkpoint.entry_hash.toString('hex'),
      signedAt: input.checkpoint.signed_at.toISOString(),
      keyId: input.checkpoint.key_id,
      signature: input.checkpoint.signature.toString('base64'),
    },
    publicKey: { keyId: input.checkpoint.key_id, spki: input.publicKey },
  };
}

/** Checks a bundle; returns the problem, or undefined when it proves its entry. `trustedKeys` (id → base64 SPKI) overrides the bundle's own key. */
export function verifyProof(b: ProofBundle, trustedKeys?: Record<string, string>): string | undefined {
  if (b.format !== PROOF_FORMAT) return `unknown format ${String(b.format)}`;
  if (b.checkpoint.stream !== b.stream) return 'the checkpoint is of another stream';
  let h = linkHash(Buffer.from(b.prevHash, 'hex'), contentHash(JSON.stringify(b.entry)));
  if (h.toString('hex') !== b.entryHash) return 'the entry does not hash to its entry hash (altered fields)';
  for (const l of b.links) h = linkHash(h, Buffer.from(l, 'hex'));
  if (h.toString('hex') !== b.checkpoint.entryHash) return 'the chain from the entry does not reach the checkpoint';
  const spki = trustedKeys ? trustedKeys[b.checkpoint.keyId] : b.publicKey.spki;
  if (!spki) return `no public key for key id ${b.checkpoint.keyId}`;
  const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' });
  const text = checkpointText({ stream: b.checkpoint.stream, offset: b.checkpoint.offset, entryHash: Buffer.from(b.checkpoint.entryHash, 'hex'), signedAt: new Date(b.checkpoint.signedAt), keyId: b.checkpoint.keyId });
  if (!verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(b.checkpoint.signature, 'base64'))) return 'the checkpoint signature does not verify';
  return undefined;
}
