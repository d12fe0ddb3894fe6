/**
 * Every service is built by one function (`<service>Unit(config, ctx)`) that its own main.ts
 * and the all-in-one process both call. Here each service runs as its own process beside the
 * platform, on the same database, topics and Redis prefix: each becomes ready, serves exactly
 * the API operations the all-in-one process serves for it (described the same way), together
 * they serve every operation of the all-in-one process, and each stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';
import { checkMetrics } from '../support/promtool.ts';

type Paths = Record<string, Record<string, unknown>>;

let t: TestPlatform;
let seeded: SeededDemo;
const services = new Map<string, ServiceProcess>();
const NAMES = ['control-plane', 'ingress', 'dispatcher', 'pull', 'log-sink'] as const;

function env(): Record<string, string> {
  const ep = infraEndpoints();
  const c = t.config;
  return {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_DATABASE_URL: ep.databaseUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_DATABASE_SCHEMA: c.ROOMCAST_DATABASE_SCHEMA,
    ROOMCAST_LOG_SCHEMA: c.ROOMCAST_LOG_SCHEMA,
    ROOMCAST_DEV_MODE: 'true',
    ROOMCAST_DEFAULT_PARTITIONS: String(c.ROOMCAST_DEFAULT_PARTITIONS),
    ROOMCAST_BOOTSTRAP_ADMIN_KEY: t.adminKey,
    ROOMCAST_MASTER_KEY: String(c.ROOMCAST_MASTER_KEY),
    ROOMCAST_LOG_LEVEL: 'error',
  };
}

const openapi = async (url: string) => ((await (await fetch(`${url}/openapi.json`)).json()) as { paths: Paths }).paths;
const operations = (paths: Paths) => Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));

beforeAll(async () => {
  t = await startTestPlatform('svcunits');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await Promise.all(NAMES.map(async (name) => services.set(name, await startService(name, env(), 60_000))));
}, 150_000);

afterAll(async () => {
  for (const s of services.values()) await s.kill('SIGKILL');
  await t?.cleanup();
});

describe('each service on its own', () => {
  it('serves the same API operations as the all-in-one process, and together exactly all of them', async () => {
    const platform = await openapi(t.platform.url);
    // Probes, metrics and the document itself: every process serves them.
    const common = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json']);
    const apiOf = (paths: Paths) => operations(paths).filter((op) => !common.has(op));
    expect(operations(platform).filter((op) => common.has(op)).length).toBe(common.size);
    const served = new Set<string>();
    for (const name of NAMES) {
      const own = await openapi((services.get(name) as ServiceProcess).url);
      expect(operations(own).filter((op) => common.has(op)).length, name).toBe(common.size);
      for (const op of apiOf(own)) {
        const [method = '', path = ''] = op.split(' ');
        // The same operation, described the same way.
        expect(own[path]?.[method.toLowerCase()], `${name}: ${op}`).toEqual(platform[path]?.[method.toLowerCase()]);
        served.add(op);
      }
      if (name === 'dispatcher') expect(apiOf(own), name).toEqual([]);
      else expect(apiOf(own).length, name).toBeGreaterThan(0);
    }
    // Nothing the all-in-one process serves is missing from a deployment of separate processes.
    expect(apiOf(platform).filter((op) => !served.has(op))).toEqual([]);
  });

  it('serves /metrics that pass promtool check metrics', async () => {
    for (const name of NAMES) {
      const text = await (await fetch(`${(services.get(name) as ServiceProcess).url}/metrics`)).text();
      expect(text, name).toContain('# TYPE roomcast_process_start_time_seconds gauge');
      expect(await checkMetrics(text), name).toEqual({ code: 0, output: '' });
    }
  });

  it('the standalone control plane answers what the platform answers', async () => {
    const path = `/api/admin/v1/rooms/${seeded.roomId}`;
    const own = await caller((services.get('control-plane') as ServiceProcess).url)('GET', path, { key: t.adminKey });
    const platform = await caller(t.platform.url)('GET', path, { key: t.adminKey });
    expect(own.status).toBe(200);
    expect(own.body).toEqual(platform.body);
  });

  it('the standalone ingress accepts a publish', async () => {
    const ingress = (services.get('ingress') as ServiceProcess).url;
    const r = await caller(ingress)('POST', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, { key: seeded.publisherKey, client: DEMO.publisherClient, body: { eventType: DEMO.eventType, event: DEMO.sampleEvent } });
    expect(r.status).toBe(201);
    expect(typeof r.body.id).toBe('string');
  });

  it('every service stops cleanly on SIGTERM', async () => {
    for (const [name, s] of services) {
      // Exit code 0: every unit stopped within the grace period (stopOnSignals exits 1 otherwise).
      expect(await s.kill('SIGTERM'), `${name}: ${s.output().slice(-2000)}`).toBe(0);
    }
  }, 60_000);
});
