/**
 * `npm start`: the platform with a working demo. Brings the local infrastructure up, starts
 * every service in this process (migrations applied at start), seeds the demo through the
 * public API on first run, publishes a sample event, waits until the demo subscriber has
 * received it with a valid signature, and prints the URLs and API keys. Ctrl+C stops the
 * platform; the infrastructure keeps running (`npm run infra -- down` stops it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfigSpec, startPlatform } from '@roomcast/all';
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { generateSigningKey } from '@roomcast/log';
import { runMain, stopOnSignals } from '@roomcast/runtime';
import { infraEndpoints, infraUp } from './infra/index.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from './lib/demo.ts';
import { startSubscriber } from './lib/subscriber.ts';

const stateDir = join(import.meta.dirname, '..', '.local', 'demo');

/** The admin key from the environment, else one generated once and kept in .local/demo. */
function bootstrapKey(): string {
  if (process.env.ROOMCAST_BOOTSTRAP_ADMIN_KEY) return process.env.ROOMCAST_BOOTSTRAP_ADMIN_KEY;
  const file = join(stateDir, 'admin-key');
  if (!existsSync(file)) writeFileSync(file, `rck_admin_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * The master key wrapping room data keys (classified payloads): from the environment, else one
 * generated once and kept in .local/demo, so encrypted demo events stay readable across runs.
 * Never printed.
 */
function masterKey(): string {
  if (process.env.ROOMCAST_MASTER_KEY) return process.env.ROOMCAST_MASTER_KEY;
  const file = join(stateDir, 'master-key');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The message log's checkpoint signing key, likewise kept in .local/demo so proofs verify across runs. */
function logSigningKey(): string {
  if (process.env.ROOMCAST_LOG_SIGNING_KEY) return process.env.ROOMCAST_LOG_SIGNING_KEY;
  const file = join(stateDir, 'log-signing-key');
  if (!existsSync(file)) writeFileSync(file, `${generateSigningKey().privateKey}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

await runMain(async () => {
  mkdirSync(stateDir, { recursive: true });
  const ep = await infraUp();
  const adminKey = bootstrapKey();
  const config = loadConfig(platformConfigSpec, {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_DATABASE_URL: ep.databaseUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_DEV_MODE: 'true', // the demo subscriber is on loopback over http
    ROOMCAST_LOG_LEVEL: 'warn',
    ...process.env,
    ROOMCAST_BOOTSTRAP_ADMIN_KEY: adminKey,
    ROOMCAST_MASTER_KEY: masterKey(),
    ROOMCAST_LOG_SIGNING_KEY: logSigningKey(),
  });
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'roomcast' } });
  const platform = await startPlatform(config, logger);

  // The demo subscriber keeps a fixed port so the subscription seeded on the first run stays valid.
  const subscriberPort = Number(process.env.ROOMCAST_DEMO_SUBSCRIBER_PORT ?? config.ROOMCAST_PORT + 1);
  const subscriber = await startSubscriber('/hooks/roomcast', subscriberPort);
  stopOnSignals(async () => {
    await subscriber.close();
    await platform.stop();
  }, logger);

  const stateFile = join(stateDir, 'demo.json');
  let demo: SeededDemo;
  if (existsSync(stateFile)) {
    demo = JSON.parse(readFileSync(stateFile, 'utf8')) as SeededDemo;
  } else {
    try {
      demo = await seedDemo(platform.url, adminKey, subscriber.url);
    } catch (err) {
      throw new Error(
        `seeding the demo failed (${(err as Error).message}). If the database already holds a demo whose keys were lost, ` +
          'reset the local data: npm run infra -- down && rm -rf .local/infra/postgres .local/demo',
      );
    }
    writeFileSync(stateFile, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  }
  subscriber.setSecret(demo.signingSecret);
  await platform.routing.waitFor(demo.generation);

  const started = performance.now();
  const res = await publish(platform.url, demo.publisherKey, { ...DEMO.sampleEvent, dateTime: new Date().toISOString() });
  if (res.status !== 201) throw new Error(`demo publish answered ${res.status}: ${JSON.stringify(res.body)}`);
  const id = String(res.body.id);
  const [delivered] = (await subscriber.waitFor((r) => r.some((x) => x.headers['webhook-id'] === id), 30_000)).filter((x) => x.headers['webhook-id'] === id);
  const ms = Math.round(performance.now() - started);

  const u = platform.url;
  console.log(`
Roomcast is running at ${u}
  OpenAPI     ${u}/openapi.json
  Readiness   ${u}/readyz
  Metrics     ${u}/metrics
  Prometheus  ${infraEndpoints().prometheusUrl}

Demo: event ${id} published to ${DEMO.roomPath.slice(4)} (event type ${DEMO.eventType}, partition ${String(res.body.partition)}, sequence ${String(res.body.sequence)})
      delivered to ${DEMO.subscriberClient} at ${subscriber.url} in ${ms} ms, signature ${delivered?.verified ? 'verified' : 'NOT verified'}

API keys (keep them secret):
  global admin   ${adminKey}   (ROOMCAST_BOOTSTRAP_ADMIN_KEY)
  publisher      ${demo.publisherKey}   (${DEMO.publisherClient})
  subscriber     ${demo.subscriberKey}   (${DEMO.subscriberClient})

Publish one yourself:
  curl -s -X POST ${u}${DEMO.roomPath}/pub/v1/${DEMO.eventType} \\
    -H 'authorization: Bearer ${demo.publisherKey}' -H 'x-govstack-client: ${DEMO.publisherClient}' \\
    -H 'content-type: application/json' \\
    -d '{"eventType":"${DEMO.eventType}","event":${JSON.stringify(DEMO.sampleEvent)}}'

Press Ctrl+C to stop. The infrastructure keeps running; stop it with: npm run infra -- down
`);
  if (!delivered?.verified) throw new Error('the demo event arrived with a signature that does not verify');
  subscriber.onReceive((r) => console.log(`subscriber received ${String(r.headers['webhook-id'])} (signature ${r.verified ? 'verified' : 'NOT verified'})`));
});
