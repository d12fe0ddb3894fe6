/**
 * The routing contract reaches the data plane live: a control-plane change is honoured by a
 * separately running ingress process within 2 seconds, and an ingress restarted after being
 * killed (SIGKILL) starts from the current generation — with no Postgres access of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let ingress: ServiceProcess | undefined;

function ingressEnv(): Record<string, string> {
  const ep = infraEndpoints();
  return {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_LOG_LEVEL: 'warn',
    // Deliberately unreachable: the ingress must not need the database.
    ROOMCAST_DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:9/none',
  };
}

async function generationOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^roomcast_routing_generation (\d+)$/m.exec(text);
  return m ? Number(m[1]) : -1;
}

async function newApplication(code: string): Promise<{ key: string; clientId: string }> {
  const db = t.platform.controlPlane.service.deps.db;
  const owner = await db.member.findFirstOrThrow({ where: { memberCode: DEMO.owner.memberCode } });
  const res = await fetch(`${t.platform.url}/api/admin/v1/members/${owner.id}/applications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { apiKey: string; clientId: string };
  return { key: body.apiKey, clientId: body.clientId };
}

async function grant(clientId: string): Promise<number> {
  const res = await fetch(`${t.platform.url}/api/admin/v1/rooms/${seeded.roomId}/publishers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, eventTypes: [DEMO.eventType] }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { generation: number }).generation;
}

beforeAll(async () => {
  t = await startTestPlatform('live');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  ingress = await startService('ingress', ingressEnv());
}, 90_000);

afterAll(async () => {
  await ingress?.kill('SIGKILL');
  await t?.cleanup();
});

describe('routing contract, live', () => {
  it('a new publisher contract reaches a running ingress process within 2 seconds', async () => {
    const app = await newApplication('clinic-live');
    const url = ingress?.url as string;
    const before = await publish(url, app.key, DEMO.sampleEvent, { client: app.clientId });
    expect(before.status).toBe(403);
    expect(before.body.code).toBe('publish.not_allowed');

    const started = Date.now();
    const generation = await grant(app.clientId);
    let status = 0;
    while (Date.now() - started < 5000) {
      status = (await publish(url, app.key, DEMO.sampleEvent, { client: app.clientId })).status;
      if (status === 201) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = Date.now() - started;
    expect(status).toBe(201);
    expect(elapsed).toBeLessThan(2000);
    expect(await generationOf(url)).toBeGreaterThanOrEqual(generation);
  });

  it('an ingress killed with SIGKILL restarts from the current generation', async () => {
    await ingress?.kill('SIGKILL');
    // A change made while no ingress runs…
    const app = await newApplication('clinic-restart');
    const generation = await grant(app.clientId);
    ingress = await startService('ingress', ingressEnv());
    // …is in force on the first request after restart, without waiting for any announcement.
    expect(await generationOf(ingress.url)).toBe(generation);
    const res = await publish(ingress.url, app.key, DEMO.sampleEvent, { client: app.clientId });
    expect(res.status).toBe(201);
    const old = await publish(ingress.url, seeded.publisherKey, DEMO.sampleEvent);
    expect(old.status).toBe(201);
  });
});
