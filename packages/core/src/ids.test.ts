import { describe, expect, it } from 'vitest';
import { API_KEY_PREFIX, hashApiKey, issueApiKey, newId, newSigningSecret, UUID_RE, uuidv7 } from './ids.ts';

describe('uuidv7', () => {
  it('is a version-7 RFC 9562 UUID carrying the timestamp', () => {
    const id = uuidv7(1_700_000_000_000);
    expect(id).toMatch(UUID_RE);
    expect(id[14]).toBe('7');
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(1_700_000_000_000);
  });

  it('sorts in generation order within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('API keys', () => {
  it('have 256 random bits, a prefix, and are stored as SHA-256', () => {
    const k = issueApiKey();
    expect(k.key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(Buffer.from(k.key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(k.hash).toBe(hashApiKey(k.key));
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(issueApiKey().key).not.toBe(k.key);
  });

  it('prefixes object ids and signing secrets', () => {
    expect(newId('room')).toMatch(/^room_[A-Za-z0-9_-]{16}$/);
    expect(Buffer.from(newSigningSecret().slice(6), 'base64')).toHaveLength(32);
  });
});
