import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, masterKey, SecretBox } from './envelope.ts';

const mk = (id: string) => masterKey(id, randomBytes(32).toString('base64'));

describe('SecretBox', () => {
  const m1 = mk('mk1');
  const m2 = mk('mk2');

  it('seals a secret to its subject so that the stored text holds no trace of it', () => {
    const box = new SecretBox([m1]);
    const stored = box.seal('sub_1', 'whsec_abc');
    expect(stored).toMatch(/^enc1:mk1:/);
    expect(stored).not.toContain('abc');
    expect(box.open('sub_1', stored)).toBe('whsec_abc');
    expect(box.current(stored)).toBe(true);
    // Moved to another subscription it does not open.
    expect(() => new SecretBox([m1]).open('sub_2', stored)).toThrow(EnvelopeError);
  });

  it('opens legacy plain values and values sealed under a previous master key', () => {
    const old = new SecretBox([m1]).seal('sub_1', 'whsec_old');
    const box = new SecretBox([m2, m1]);
    expect(box.open('sub_1', old)).toBe('whsec_old');
    expect(box.current(old)).toBe(false);
    expect(box.open('sub_1', 'whsec_plain')).toBe('whsec_plain');
    expect(box.current('whsec_plain')).toBe(false);
    expect(() => new SecretBox([m2]).open('sub_1', old)).toThrow(/mk1, which is not configured/);
  });

  it('keeps secrets as they are without a master key', () => {
    const box = new SecretBox([]);
    expect(box.seal('sub_1', 'whsec_x')).toBe('whsec_x');
    expect(box.current('whsec_x')).toBe(true);
  });
});
