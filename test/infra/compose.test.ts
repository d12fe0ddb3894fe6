// infra/compose.yaml cannot be run on machines without Docker, so this test checks the
// promises it makes: the same services, pinned images, and the same loopback-only host
// ports as the local stack in scripts/infra (imported, so the two cannot drift apart).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PORTS, ROOT } from '../../scripts/infra/config.ts';

type Service = {
  image?: string;
  ports?: unknown[];
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string | string[] };
};

const compose = parse(readFileSync(join(ROOT, 'infra', 'compose.yaml'), 'utf8')) as { services?: Record<string, Service>; configs?: Record<string, { content?: string }> };
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

  it('mounts infra/prometheus into Prometheus, whose configuration loads the same alert rules', () => {
    const mounts = bindMounts(services.prometheus);
    const rules = mounts.get('prometheus');
    expect(rules, 'infra/prometheus is not mounted').toBeDefined();
    expect(existsSync(join(ROOT, 'infra', 'prometheus', 'alerts.yml'))).toBe(true);
    const config = parse(compose.configs?.['prometheus-config']?.content ?? '') as { rule_files?: string[]; global?: Record<string, string> };
    expect(config.rule_files).toEqual([`${rules}/alerts.yml`]);
    const local = parse(readFileSync(join(ROOT, 'infra', 'prometheus', 'prometheus.yml'), 'utf8')) as { global?: Record<string, string> };
    expect(config.global).toEqual(local.global);
  });

  it('mounts the Grafana provisioning and dashboards where the provider looks for them', () => {
    const mounts = bindMounts(services.grafana);
    expect(mounts.get('grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const provider = parse(readFileSync(join(ROOT, 'infra', 'grafana', 'provisioning', 'dashboards', 'roomcast.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    expect(mounts.get('grafana/dashboards')).toBe(provider.providers[0]?.options.path);
    expect(readdirSync(join(ROOT, 'infra', 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
    // The datasource reaches the Prometheus service of this file on its container port.
    const ds = parse(readFileSync(join(ROOT, 'infra', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: Array<{ url: string }> };
    expect(ds.datasources[0]?.url).toBe('http://prometheus:9090');
    expect(Object.keys(services.grafana?.depends_on ?? {})).toContain('prometheus');
  });
});

/** A service's bind mounts of this repository's infra/ folder: source relative to infra/ → target, read-only only. */
function bindMounts(svc: Service | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of svc?.volumes ?? []) {
    const [source = '', target = '', mode] = v.split(':');
    if (!source.startsWith('./')) continue;
    expect(mode, `${v} should be read-only`).toBe('ro');
    expect(existsSync(join(ROOT, 'infra', source)), `${source} does not exist`).toBe(true);
    out.set(source.slice(2), target);
  }
  return out;
}
