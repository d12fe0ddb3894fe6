import { describe, expect, it } from 'vitest';
import { advertisedUrl, registrationSettings } from './process-registry.ts';

const config = { ROOMCAST_HEARTBEAT_INTERVAL_MS: 10_000, ROOMCAST_PROCESS_TTL_MS: 35_000, ROOMCAST_ENVIRONMENT_SAMPLE_INTERVAL_MS: 60_000 };

describe('process registration', () => {
  it('advertises the listening address, the host name for a wildcard, or the configured URL', () => {
    expect(advertisedUrl('http://127.0.0.1:8080', undefined, 'h1')).toBe('http://127.0.0.1:8080');
    expect(advertisedUrl('http://0.0.0.0:8080', undefined, 'h1')).toBe('http://h1:8080');
    expect(advertisedUrl('http://[::]:8080', undefined, 'h1')).toBe('http://h1:8080');
    expect(advertisedUrl('http://0.0.0.0:8080', 'https://ingress-1.internal:8443/', 'h1')).toBe('https://ingress-1.internal:8443');
  });

  it('refuses a TTL shorter than two heartbeats', () => {
    expect(registrationSettings(config)).toMatchObject({ heartbeatMs: 10_000, ttlMs: 35_000, sampleMs: 60_000 });
    expect(() => registrationSettings({ ...config, ROOMCAST_PROCESS_TTL_MS: 15_000 })).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  });
});
