// infra/compose.yaml cannot be run on machines without Docker, so this test checks the
// promises it makes: the same services, pinned images, and the same loopback-only host
// ports as the local stack in scripts/infra (imported, so the two cannot drift apart); that
// the Compose Specification's own loader accepts it; and that Roomcast's services (profile
// `roomcast`) run from the repository's image with real settings and are scraped.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PORTS, ROOT } from '../../scripts/infra/config.ts';
import { INSTALL_TIMEOUT_MS, installTool, serviceMains, serviceOfCommand, settingNames, toolchain } from '../support/deploy.ts';

type Service = {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  profiles?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  environment?: Record<string, string>;
  ports?: unknown[];
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string | string[] };
};

// `merge`: the Roomcast services share one block through a YAML merge key, as Compose reads it.
const compose = parse(readFileSync(join(ROOT, 'infra', 'compose.yaml'), 'utf8'), { merge: true }) as { services?: Record<string, Service>; configs?: Record<string, { content?: string }> };
const services = compose.services ?? {};

/** Roomcast's own services in the file: each its own container, one of each kind. */
const ROOMCAST = ['control-plane', 'ingress', 'dispatcher', 'pull', 'log-sink'];
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const go = toolchain('compose');

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
  describe.skipIf(!go.ok)(`the Compose Specification's loader (compose-go)${go.ok ? '' : ` (skipped: ${go.reason})`}`, () => {
    let bin: (name: string) => string;
    beforeAll(() => {
      bin = installTool('compose');
    }, INSTALL_TIMEOUT_MS);
    // Only PATH: settings of the machine running the test must not be interpolated into the file.
    const load = (args: string[], input?: string) => spawnSync(bin('compose-spec'), ['--format', 'json', ...args], { cwd: join(ROOT, 'infra'), input, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

    it('accepts the file, with the services this test reads', () => {
      const r = load(['compose.yaml']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(Object.keys((JSON.parse(r.stdout) as { services: object }).services).sort()).toEqual(Object.keys(services).sort());
    });

    it('refuses a dependency condition it does not know (the check can fail)', () => {
      const text = readFileSync(join(ROOT, 'infra', 'compose.yaml'), 'utf8');
      expect(text).toContain('{ condition: service_healthy }');
      const r = load(['-'], text.replace('{ condition: service_healthy }', '{ condition: service_ready }'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('condition');
    });
  });

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

  it('publishes every port on 127.0.0.1 only', () => {
    for (const [name, svc] of Object.entries(services)) for (const p of (svc.ports ?? []).map(published)) expect(p.hostIp, `${name} publishes ${p.hostPort} beyond loopback`).toBe('127.0.0.1');
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

describe("infra/compose.yaml: Roomcast's services", () => {
  it('runs one of each separately deployable service, every entry point but the all-in-one', () => {
    for (const name of ROOMCAST) expect(services[name], name).toBeDefined();
    expect(serviceMains().filter((m) => !m.startsWith('services/all/'))).toEqual(expect.arrayContaining(ROOMCAST.map((n) => `services/${n}/src/main.ts`)));
    expect(serviceMains().length).toBe(ROOMCAST.length + 1);
  });

  it.each(ROOMCAST)('%s runs its own main.ts from the image of the repository Dockerfile, in the roomcast profile', (name) => {
    const svc = services[name] as Service;
    expect(svc.image).toBe(`roomcast:${version}`);
    expect(existsSync(join(ROOT, 'infra', svc.build?.context ?? '-', svc.build?.dockerfile ?? 'Dockerfile'))).toBe(true);
    expect(join(ROOT, 'infra', svc.build?.context ?? '-')).toBe(join(ROOT, '.'));
    expect(serviceOfCommand(svc.command)).toBe(name);
    expect(svc.profiles).toEqual(['roomcast']);
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
  });

  it.each(ROOMCAST)('%s is healthy when /readyz answers on its port', (name) => {
    const svc = services[name] as Service;
    const test = svc.healthcheck?.test;
    expect(Array.isArray(test) && test[0]).toBe('CMD');
    expect(String(test)).toContain(`http://127.0.0.1:${svc.environment?.ROOMCAST_PORT}/readyz`);
    // Listening beyond the container's loopback, so other containers and Prometheus reach it.
    expect(svc.environment?.ROOMCAST_HOST).toBe('0.0.0.0');
  });

  it.each(ROOMCAST)('%s is configured only with real settings, keys taken from the environment', (name) => {
    const env = services[name]?.environment ?? {};
    const known = settingNames();
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const key of Object.keys(env)) expect(known, `${name}: ${key} is not a setting in .env.example`).toContain(key);
    for (const [key, value] of Object.entries(env)) if (/_KEY$|PASSWORD|TOKEN/.test(key)) expect(value, `${name}: ${key} must come from the environment`).toMatch(/^\$\{[A-Z_]+:-\}$/);
    // The containers reach the infrastructure by service name, never the host's loopback.
    for (const [key, value] of Object.entries(env)) if (/_URL$|_BROKERS$/.test(key)) expect(value, key).not.toMatch(/127\.0\.0\.1|localhost/);
  });

  it('starts the control plane after the infrastructure is healthy, and the data plane after the control plane', () => {
    const conditions = (name: string) => Object.fromEntries(Object.entries((services[name]?.depends_on ?? {}) as Record<string, { condition?: string }>).map(([k, v]) => [k, v.condition]));
    expect(conditions('control-plane')).toEqual({ postgres: 'service_healthy', redis: 'service_healthy', kafka: 'service_healthy', registry: 'service_healthy' });
    for (const name of ROOMCAST.filter((n) => n !== 'control-plane')) expect(conditions(name)['control-plane'], name).toBe('service_healthy');
  });

  it("creates the message log's login role in PostgreSQL, with the password of the log URL", () => {
    const sql = compose.configs?.['create-log-role']?.content ?? '';
    const url = new URL(services['log-sink']?.environment?.ROOMCAST_LOG_DATABASE_URL ?? '');
    expect(sql).toContain(`CREATE ROLE ${url.username} LOGIN`);
    expect(sql).toContain(`PASSWORD '${url.password}'`);
  });

  it('has its Prometheus scrape every Roomcast service on its port', () => {
    const config = parse(compose.configs?.['prometheus-config']?.content ?? '') as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const targets = config.scrape_configs.find((j) => j.job_name === 'roomcast')?.static_configs.flatMap((c) => c.targets) ?? [];
    for (const name of ROOMCAST) expect(targets).toContain(`${name}:${services[name]?.environment?.ROOMCAST_PORT}`);
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
