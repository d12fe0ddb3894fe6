import { describe, expect, it } from 'vitest';
import { redisVersionOf, registryVersionUrl } from './dependencies.ts';

describe('dependency versions', () => {
  it('reads redis_version from INFO server', () => {
    expect(redisVersionOf('# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n')).toBe('7.2.4');
    expect(redisVersionOf('# Server\r\n')).toBeNull();
  });

  it("asks Apicurio's system info beside its Confluent-compatible API, Confluent's metadata otherwise", () => {
    expect(registryVersionUrl('http://127.0.0.1:18081/apis/ccompat/v7')).toBe('http://127.0.0.1:18081/apis/registry/v3/system/info');
    expect(registryVersionUrl('https://registry.example.org/')).toBe('https://registry.example.org/v1/metadata/version');
  });
});
