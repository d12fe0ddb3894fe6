import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, masterKey, masterKeyProblem, newWrappedDataKey, openPayload, rewrapDataKey, sealPayload, unwrapDataKey } from './envelope.ts';
import { DataKeyRing, openEventPayload, sealEventPayload } from './keyring.ts';

const m1 = masterKey('mk1', randomBytes(32).toString('base64'));
const m2 = masterKey('mk2', randomBytes(32).toString('base64'));
const masters = new Map([[m1.id, m1]]);
const ctx = { roomId: 'room_a', eventType: 'newBirth', eventId: '0190a3c4-0000-7000-8000-000000000001', keyId: 'dk_1' };
const plain = Buffer.from(JSON.stringify({ name: 'Jane Secretname', diagnosis: 'confidential' }));

function dataKey(id = 'dk_1', roomId = 'room_a') {
  const wrapped = newWrappedDataKey(m1, roomId, id);
  return { wrapped, key: unwrapDataKey(masters, roomId, wrapped) };
}

describe('payload envelope', () => {
  it('round-trips, with version, nonce and tag around a ciphertext that hides the plaintext', () => {
    const { key } = dataKey();
    const sealed = sealPayload(key, ctx, plain);
    expect(sealed[0]).toBe(1);
    expect(sealed.length).toBe(1 + 12 + plain.length + 16);
    expect(sealed.includes(Buffer.from('Secretname'))).toBe(false);
    expect(openPayload(key, ctx, sealed).equals(plain)).toBe(true);
    // A fresh nonce per event: the same payload never seals to the same bytes.
    expect(sealPayload(key, ctx, plain).equals(sealed)).toBe(false);
  });

  it('refuses a wrong key', () => {
    const sealed = sealPayload(dataKey().key, ctx, plain);
    expect(() => openPayload(dataKey('dk_2').key, ctx, sealed)).toThrow(EnvelopeError);
  });

  it.each([
    ['nonce', 5],
    ['ciphertext', 13 + 3],
    ['tag', -1],
  ])('refuses a tampered %s', (_, at) => {
    const { key } = dataKey();
    const sealed = sealPayload(key, ctx, plain);
    const i = at < 0 ? sealed.length + at : at;
    sealed[i] = (sealed[i] ?? 0) ^ 0x01;
    expect(() => openPayload(key, ctx, sealed)).toThrow(/does not authenticate/);
  });

  it.each([
    ['room', { roomId: 'room_b' }],
    ['event type', { eventType: 'death' }],
    ['event id', { eventId: '0190a3c4-0000-7000-8000-000000000002' }],
    ['key id', { keyId: 'dk_other' }],
  ])('refuses a ciphertext moved to another %s (AAD)', (_, change) => {
    const { key } = dataKey();
    const sealed = sealPayload(key, ctx, plain);
    expect(() => openPayload(key, { ...ctx, ...change }, sealed)).toThrow(EnvelopeError);
  });

  it('refuses truncated envelopes and unknown versions', () => {
    const { key } = dataKey();
    expect(() => openPayload(key, ctx, Buffer.alloc(10))).toThrow(/too short/);
    const sealed = sealPayload(key, ctx, plain);
    sealed[0] = 2;
    expect(() => openPayload(key, ctx, sealed)).toThrow(/version 2/);
  });
});

describe('data keys under a master key', () => {
  it('are wrapped (no plain key material) and bound to their room and id', () => {
    const { wrapped } = dataKey('dk_9', 'room_a');
    expect(wrapped).toMatchObject({ id: 'dk_9', masterKeyId: 'mk1' });
    expect(Buffer.from(wrapped.wrapped, 'base64').length).toBe(1 + 12 + 32 + 16);
    expect(() => unwrapDataKey(masters, 'room_b', wrapped)).toThrow(EnvelopeError);
    expect(() => unwrapDataKey(masters, 'room_a', { ...wrapped, id: 'dk_8' })).toThrow(EnvelopeError);
    expect(() => unwrapDataKey(new Map([[m2.id, m2]]), 'room_a', wrapped)).toThrow(/mk1, which is not configured/);
    expect(() => unwrapDataKey(new Map([['mk1', { ...m2, id: 'mk1' }]]), 'room_a', wrapped)).toThrow(/does not authenticate/);
  });

  it('re-wrap under a new master key keeps the same data key (old ciphertexts still open)', () => {
    const { wrapped, key } = dataKey();
    const sealed = sealPayload(key, ctx, plain);
    const next = rewrapDataKey(masters, m2, 'room_a', wrapped);
    expect(next).toMatchObject({ id: 'dk_1', masterKeyId: 'mk2' });
    const again = unwrapDataKey(new Map([[m2.id, m2]]), 'room_a', next);
    expect(openPayload(again, ctx, sealed).equals(plain)).toBe(true);
  });

  it('master keys must be 32 bytes of base64', () => {
    expect(masterKeyProblem(randomBytes(32).toString('base64'))).toBeUndefined();
    expect(masterKeyProblem(randomBytes(16).toString('base64'))).toMatch(/32 bytes, not 16/);
    expect(masterKeyProblem('not base64 !')).toMatch(/base64/);
  });
});

describe('DataKeyRing', () => {
  const older = newWrappedDataKey(m1, 'room_a', 'dk_old');
  const newer = newWrappedDataKey(m1, 'room_a', 'dk_new');
  const room = { id: 'room_a', dataKeys: [newer, older] };
  const rec = { id: ctx.eventId, eventType: 'newBirth' };

  it('seals classified payloads with the newest key and names it; opens with any key of the room', () => {
    const ring = new DataKeyRing([m1]);
    const sealed = sealEventPayload(ring, room, { ...rec, classification: 'PHI' }, plain);
    expect(sealed.keyId).toBe('dk_new');
    expect(openEventPayload(ring, room, { ...rec, keyId: 'dk_new' }, sealed.payload).equals(plain)).toBe(true);
    // An event sealed before the rotation still opens.
    const oldKey = ring.get(room, 'dk_old');
    if (!oldKey) throw new Error('old key missing');
    const before = sealPayload(oldKey, { ...ctx, keyId: 'dk_old' }, plain);
    expect(openEventPayload(ring, room, { ...rec, keyId: 'dk_old' }, before).equals(plain)).toBe(true);
    expect(() => openEventPayload(ring, room, { ...rec, keyId: 'dk_gone' }, before)).toThrow(/no data key dk_gone/);
  });

  it('passes PUBLIC and INTERNAL payloads through and opens records without a key id as they are', () => {
    const ring = new DataKeyRing([m1]);
    for (const classification of ['PUBLIC', 'INTERNAL']) {
      const out = sealEventPayload(ring, room, { ...rec, classification }, plain);
      expect(out.keyId).toBeUndefined();
      expect(out.payload).toBe(plain);
    }
    expect(openEventPayload(undefined, room, rec, plain)).toBe(plain);
  });

  it('fails closed: classified payloads without a master key or a room key are refused', () => {
    for (const classification of ['PHI', 'PII', 'CONFIDENTIAL']) {
      expect(() => sealEventPayload(undefined, room, { ...rec, classification }, plain)).toThrow(EnvelopeError);
      expect(() => sealEventPayload(new DataKeyRing([m1]), { id: 'room_a' }, { ...rec, classification }, plain)).toThrow(/no data key/);
    }
  });

  it('warm reports keys it cannot unwrap and forgets rooms that left', () => {
    const ring = new DataKeyRing([m2]);
    expect(ring.warm([room])).toEqual([
      { roomId: 'room_a', keyId: 'dk_new', error: expect.stringMatching(/mk1/) },
      { roomId: 'room_a', keyId: 'dk_old', error: expect.stringMatching(/mk1/) },
    ]);
    const ok = new DataKeyRing([m1]);
    expect(ok.warm([room])).toEqual([]);
    expect(ok.warm([])).toEqual([]);
    expect(ok.current(room)?.id).toBe('dk_new');
  });
});
