import { describe, expect, it } from 'vitest';
import { canonical, chainHash, contentHash, type EventEntry, eventValues, genesisHash, linkHash, sha256 } from './entry.ts';
import { proofBundle, verifyProof } from './proof.ts';
import { checkpointText, generateSigningKey, logSigner, parseKeyList, signingKeyProblem, verifyCheckpoint } from './signing.ts';

const entry = (offset: number, publisher = 'DEV/GOV/MOH/clinic-a'): EventEntry => ({
  loggedAt: new Date('2026-12-06T10:00:00.123Z'),
  topic: 'rc.room.DEV.GOV.MOH.births',
  partition: 1,
  offset: String(offset),
  eventId: '0193a5f1-2b3c-7d4e-8f60-123456789abc',
  roomId: 'room_1',
  eventType: 'newBirth',
  publisher,
  publishedAt: new Date('2026-12-06T10:00:00.100Z'),
  urgent: false,
  keySha256: sha256('mother-1'),
  payloadSha256: sha256('{"a":1}'),
  size: 42,
  classification: 'INTERNAL',
  priority: 'NORMAL',
  schemaId: 7,
  traceparent: null,
  schemaVersion: null,
});

describe('log entries', () => {
  it('have one canonical text: every field a string or null, in field order', () => {
    const text = canonical('event', eventValues(entry(5)));
    const arr = JSON.parse(text) as unknown[];
    expect(arr[0]).toBe('event');
    expect(arr).toHaveLength(18);
    expect(arr.slice(1, 5)).toEqual(['2026-12-06T10:00:00.123Z', 'rc.room.DEV.GOV.MOH.births', '1', '5']);
    expect(arr.at(-1)).toBeNull();
    expect(arr.every((v) => v === null || typeof v === 'string')).toBe(true);
  });

  it('chain: any change of one field changes every later hash; genesis differs per stream', () => {
    const g = genesisHash('t/1');
    expect(g.equals(genesisHash('t/2'))).toBe(false);
    const a = chainHash(g, canonical('event', eventValues(entry(0))));
    const b = chainHash(a, canonical('event', eventValues(entry(1))));
    const a2 = chainHash(g, canonical('event', eventValues(entry(0, 'DEV/GOV/MOH/other'))));
    const b2 = chainHash(a2, canonical('event', eventValues(entry(1))));
    expect(a.equals(a2)).toBe(false);
    expect(b.equals(b2)).toBe(false);
    expect(chainHash(g, 'x').equals(linkHash(g, contentHash('x')))).toBe(true);
  });

  it('a field added later is left out while null (old rows keep their hash) and hashed once set', () => {
    const old = canonical('event', eventValues(entry(3)));
    expect(JSON.parse(old)).toHaveLength(18);
    const withVersion = canonical('event', eventValues({ ...entry(3), schemaVersion: 2 }));
    expect(JSON.parse(withVersion)).toHaveLength(19);
    expect(JSON.parse(withVersion).at(-1)).toBe('2');
    expect(withVersion.startsWith(old.slice(0, -1))).toBe(true);
    // A null among the first fields is kept: only trailing late fields are optional.
    expect(JSON.parse(canonical('event', eventValues({ ...entry(3), keySha256: null })))[11]).toBeNull();
  });
});

describe('checkpoint signing', () => {
  const k = generateSigningKey();
  const signer = logSigner('log-1', k.privateKey);

  it('signs and verifies; a changed hash, time or key id does not verify', () => {
    const c = signer.sign({ stream: 't/1', offset: '41', entryHash: sha256('h'), signedAt: new Date('2026-12-06T10:00:00.000Z') });
    const keys = signer.publicKeys();
    expect(keys['log-1']).toBe(k.publicKey);
    expect(verifyCheckpoint(c, keys)).toBe(true);
    expect(verifyCheckpoint({ ...c, entryHash: sha256('other') }, keys)).toBe(false);
    expect(verifyCheckpoint({ ...c, signedAt: new Date('2026-12-06T10:00:01.000Z') }, keys)).toBe(false);
    expect(verifyCheckpoint({ ...c, keyId: 'log-2' }, keys)).toBe(false);
    expect(checkpointText(c).split('\n')).toEqual(['roomcast-log-checkpoint/1', 't/1', '41', sha256('h').toString('hex'), '2026-12-06T10:00:00.000Z', 'log-1']);
  });

  it('keeps retired public keys so older checkpoints verify after a rotation', () => {
    const old = signer.sign({ stream: 't/1', offset: '1', entryHash: sha256('a'), signedAt: new Date() });
    const next = logSigner('log-2', generateSigningKey().privateKey, parseKeyList(`log-1:${k.publicKey}`));
    expect(Object.keys(next.publicKeys()).sort()).toEqual(['log-1', 'log-2']);
    expect(verifyCheckpoint(old, next.publicKeys())).toBe(true);
  });

  it('refuses keys that are not Ed25519 private keys', () => {
    expect(signingKeyProblem('not a key')).toMatch(/Ed25519/);
    expect(signingKeyProblem(k.privateKey)).toBeUndefined();
    expect(() => parseKeyList('nocolon')).toThrow(/id:base64/);
  });
});

describe('proof bundles', () => {
  const k = generateSigningKey();
  const signer = logSigner('log-1', k.privateKey);
  const g = genesisHash('t/1');
  const texts = [0, 1, 2, 3].map((o) => canonical('event', eventValues(entry(o))));
  const hashes: Buffer[] = [];
  for (const [i, t] of texts.entries()) hashes.push(chainHash(i === 0 ? g : (hashes[i - 1] as Buffer), t));
  const cp = signer.sign({ stream: 't/1', offset: '3', entryHash: hashes[3] as Buffer, signedAt: new Date() });
  const bundle = proofBundle({
    kind: 'event',
    stream: 't/1',
    values: (JSON.parse(texts[1] as string) as (string | null)[]).slice(1),
    prevHash: hashes[0] as Buffer,
    entryHash: hashes[1] as Buffer,
    links: [contentHash(texts[2] as string), contentHash(texts[3] as string)],
    checkpoint: { stream: 't/1', koffset: '3', entry_hash: cp.entryHash, signed_at: cp.signedAt, key_id: cp.keyId, signature: cp.signature },
    publicKey: k.publicKey,
  });

  it('verify when nothing was changed', () => {
    expect(verifyProof(bundle)).toBeUndefined();
    expect(verifyProof(bundle, signer.publicKeys())).toBeUndefined();
  });

  it('name what was changed', () => {
    expect(verifyProof({ ...bundle, entry: bundle.entry.map((v, i) => (i === 8 ? 'DEV/GOV/MOH/x' : v)) })).toMatch(/altered/);
    expect(verifyProof({ ...bundle, links: bundle.links.slice(1) })).toMatch(/does not reach the checkpoint/);
    expect(verifyProof({ ...bundle, checkpoint: { ...bundle.checkpoint, signedAt: new Date(0).toISOString() } })).toMatch(/signature/);
    const other = generateSigningKey();
    expect(verifyProof(bundle, { 'log-1': other.publicKey })).toMatch(/signature/);
    expect(verifyProof(bundle, {})).toMatch(/no public key/);
  });
});
