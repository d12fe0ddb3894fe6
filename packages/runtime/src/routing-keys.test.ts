import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_ROUTING_KEY } from '@roomcast/routing';
import { describe, expect, it } from 'vitest';
import { routingKeysOf } from './runtime.ts';

describe('routingKeysOf', () => {
  it('signs with the configured key and verifies with the previous ones too', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const keys = routingKeysOf({ ROOMCAST_DEV_MODE: false, ROOMCAST_ROUTING_KEY: a.toString('base64'), ROOMCAST_PREVIOUS_ROUTING_KEYS: ` ${b.toString('base64')} ,` });
    expect(keys).toEqual([a, b]);
  });

  it('uses the development key only in development mode, and refuses to start in production without a key', () => {
    expect(routingKeysOf({ ROOMCAST_DEV_MODE: true })).toEqual([DEVELOPMENT_ROUTING_KEY]);
    expect(() => routingKeysOf({ ROOMCAST_DEV_MODE: false })).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/ROOMCAST_ROUTING_KEY is required/) }));
  });
});
