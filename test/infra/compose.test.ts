// infra/compose.yaml cannot be run on machines without Docker, so this test checks the
// promises it makes: the same services, pinned images, and the same loopback-only host
// ports as the local stack in scripts/infra (imported, so the two cannot drift apart).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PORTS, ROOT } from '../../scripts/infra/config.ts';

type Service = {
  image?: string;
  ports?: unknown[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string | string[] };
};

const compose = parse(readFileSync(join(ROOT, 'infra', 'compose.yaml'), 'utf8')) as { services?: Record<string, Service> };
const services = compose.services ?? {};

/** Host ports each service must publish, taken from the local-infra defaults. */
const EXPECTED_PORTS: Record<string, number[]> = {
  kafka: [PORTS.kafka],
  registry: [PORTS.registry, PORTS.registryManagement],
  postgres: [PORTS.postgres],
  redis: [PORTS.redis],
  prometheus: [PORTS.prometheus],
  grafana: [PORTS.grafana],
};

type Published = { hostIp: string | undefined; hostPort: number };

/** Reads both the short ("ip:host:container") and the long ({host_ip, published}) syntax. */
function published(entry: unknown): Published {
  if (typeof entry === 'string' || typeof entry === 'number') {
    const parts = String(entry).split('/')[0]?.split(':') ?? [];
    if (parts.length === 3) return { hostIp: parts[0], hostPort: Number(parts[1]) };
    return { hostIp: undefined, hostPort: parts.length === 2 ? Number(parts[0]) : Number.NaN };
  }
  const long = entry as { host_ip?: string; published?: string | number };
  return { hostIp: long.host_ip, hostPort: Number(long.published) };
}

describe('infra/compose.yaml', () => {
  it('defines every expected service', () => {
    expect(Object.keys(services).sort()).toEqual(expect.arrayContaining(Object.keys(EXPECTED_PORTS).sort()));
  });

  it.each(Object.keys(EXPECTED_PORTS))('%s uses a pinned image tag', (name) => {
    const image = services[name]?.image ?? '';
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    expect(tag, `${name} image "${image}" needs an explicit tag`).toBeDefined();
    expect(tag).not.toBe('latest');
    expect(tag).toMatch(/\d/);
  });

  it('pins the versions the local stack runs', () => {
    expect(services.kafka?.image).toBe('apache/kafka:4.3.1');
    expect(services.registry?.image).toBe('apicurio/apicurio-registry:3.3.3');
    expect(services.postgres?.image).toMatch(/^postgres:15(\.|$)/);
    expect(services.redis?.image).toMatch(/^redis:7(\.|$)/);
  });

  it.each(Object.entries(EXPECTED_PORTS))('%s publishes %j on 127.0.0.1 only', (name, ports) => {
    const entries = (services[name]?.ports ?? []).map(published);
    for (const p of entries) expect(p.hostIp, `${name} publishes ${p.hostPort} beyond loopback`).toBe('127.0.0.1');
    expect(entries.map((p) => p.hostPort).sort()).toEqual([...ports].sort());
  });

  it('only depends on services that exist', () => {
    for (const [name, svc] of Object.entries(services)) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const dep of deps) expect(Object.keys(services), `${name} depends on unknown ${dep}`).toContain(dep);
    }
  });

  it('gives every service a healthcheck with a test', () => {
    for (const [name, svc] of Object.entries(services)) {
      const test = svc.healthcheck?.test;
      expect(test, `${name} has no healthcheck test`).toBeDefined();
      expect(Array.isArray(test) ? test.slice(1).join(' ') : String(test)).not.toBe('');
      if (Array.isArray(test)) expect(test[0]).not.toBe('NONE');
    }
  });
});
