#!/usr/bin/env node
// Verifies a Roomcast message-log proof bundle offline, with nothing but Node's crypto.
//
//   node log-verify-proof.mjs bundle.json [public-key-base64-spki]
//
// Without a key argument the bundle's own public key is used: check it against the key the
// operator publishes (GET /api/v1/log/keys) or gave you out of band. Exit 0 when the bundle
// proves its entry, 1 when it does not.
//
// The check (format roomcast-log-proof/1):
//   h = SHA-256(prevHash ‖ SHA-256(UTF-8(JSON(entry))));  for each link d: h = SHA-256(h ‖ d)
//   h must equal checkpoint.entryHash, and the Ed25519 signature must verify over
//   "roomcast-log-checkpoint/1\n{stream}\n{offset}\n{entryHash}\n{signedAt}\n{keyId}".
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [file, keyArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node log-verify-proof.mjs bundle.json [public-key-base64-spki]');
  process.exit(2);
}
const b = JSON.parse(readFileSync(file, 'utf8'));
const sha = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const fail = (why) => {
  console.log(`NOT PROVEN: ${why}`);
  process.exit(1);
};
if (b.format !== 'roomcast-log-proof/1') fail(`unknown format ${b.format}`);
if (b.checkpoint.stream !== b.stream) fail('the checkpoint is of another stream');
let h = sha(Buffer.from(b.prevHash, 'hex'), sha(Buffer.from(JSON.stringify(b.entry), 'utf8')));
if (h.toString('hex') !== b.entryHash) fail('the entry does not hash to its entry hash');
for (const link of b.links) h = sha(h, Buffer.from(link, 'hex'));
if (h.toString('hex') !== b.checkpoint.entryHash) fail('the chain from the entry does not reach the checkpoint');
const c = b.checkpoint;
const text = ['roomcast-log-checkpoint/1', c.stream, c.offset, c.entryHash, c.signedAt, c.keyId].join('\n');
const key = createPublicKey({ key: Buffer.from(keyArg ?? b.publicKey.spki, 'base64'), format: 'der', type: 'spki' });
if (!verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(c.signature, 'base64'))) fail('the checkpoint signature does not verify');
const fields = Object.fromEntries(b.fields.map((name, i) => [name, b.entry[i + 1]]));
console.log(`PROVEN: ${b.kind} ${fields.event_id} in ${b.stream} at offset ${fields.koffset}, logged ${fields.logged_at}; checkpoint at offset ${c.offset} signed ${c.signedAt} by key ${c.keyId}`);
