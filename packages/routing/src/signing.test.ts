import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContractSignatureError, contractKeys, routingKeyId } from './signing.ts';

describe('routing contract signing', () => {
  const current = randomBytes(32);
  const old = randomBytes(32);
  const json = JSON.stringify({ generation: 3, principals: [] });

  it('opens what it signed, and what a previous key signed during a rotation', () => {
    const keys = contractKeys(current, [old]);
    expect(keys.open(keys.sign(json))).toBe(json);
    expect(keys.open(contractKeys(old).sign(json))).toBe(json);
    expect(keys.sign(json).split(' ')[1]).toBe(routingKeyId(current));
  });

  it('refuses unsigned, tampered, foreign-key and truncated texts', () => {
    const keys = contractKeys(current);
    const signed = keys.sign(json);
    for (const text of [json, signed.replace('"generation":3', '"generation":4'), contractKeys(randomBytes(32)).sign(json), signed.slice(0, 20), '', `rcsig1 ${routingKeyId(current)} AAAA\n${json}`]) {
      expect(() => keys.open(text), text.slice(0, 40)).toThrow(ContractSignatureError);
    }
  });

  it('refuses a short key', () => {
    expect(() => contractKeys(randomBytes(16))).toThrow(/32 bytes/);
  });
});
