/**
 * A dependency that cannot be used at start ends the process with one clear line per problem —
 * what was tried (password masked), the setting to fix, the cause — and a non-zero exit code,
 * never a stack trace or minutes of retries. Each case starts the all-in-one process for real.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/process.ts';
import { infraEndpoints } from '../../scripts/infra/config.ts';

const MAIN = fileURLToPath(new URL('../../services/all/src/main.ts', import.meta.url));

function run(overrides: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string; ms: number }> {
  const ep = infraEndpoints();
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
      ROOMCAST_REGISTRY_URL: ep.registryUrl,
      ROOMCAST_DATABASE_URL: ep.databaseUrl,
      ROOMCAST_REDIS_URL: ep.redisUrl,
      ROOMCAST_PORT: '0',
      ROOMCAST_NAME_PREFIX: 'startup',
      ROOMCAST_DATABASE_SCHEMA: 'startup',
      ROOMCAST_LOG_SCHEMA: 'startup_log',
      ROOMCAST_DEV_MODE: 'true',
      ROOMCAST_LOG_LEVEL: 'error',
      ...overrides,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !/ExperimentalWarning|--trace-warnings|DeprecationWarning|--trace-deprecation/.test(l));

describe('start-up with a dependency that cannot be used', () => {
  it('names the database setting on a wrong password, masking it', async () => {
    const url = new URL(infraEndpoints().databaseUrl);
    url.password = 'not-the-password';
    const r = await run({ ROOMCAST_DATABASE_URL: url.toString() });
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^roomcast: cannot use PostgreSQL at postgresql:\/\/[^:]+:\*\*\*@.* — check ROOMCAST_DATABASE_URL: .*password authentication failed/)]);
    expect(r.stderr + r.stdout).not.toContain('not-the-password');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('names Redis and Kafka when both are down, in seconds', async () => {
    const [redisPort, kafkaPort] = [await freePort(), await freePort()];
    const r = await run({ ROOMCAST_REDIS_URL: `redis://:secret-pass@127.0.0.1:${redisPort}`, ROOMCAST_KAFKA_BROKERS: `127.0.0.1:${kafkaPort}` });
    console.info(`exited ${r.code} after ${r.ms} ms`);
    expect(r.code).toBe(3);
    const got = lines(r.stderr).sort();
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(new RegExp(`^roomcast: cannot use Kafka at 127\\.0\\.0\\.1:${kafkaPort} — check ROOMCAST_KAFKA_BROKERS: `));
    expect(got[1]).toMatch(new RegExp(`^roomcast: cannot use Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redisPort} — check ROOMCAST_REDIS_URL: .*ECONNREFUSED`));
    expect(r.stderr).not.toContain('secret-pass');
  });

  it('names the replication setting when it asks for more replicas than the cluster has brokers', async () => {
    // The local single broker: a factor of 3 cannot be met.
    const r = await run({ ROOMCAST_TOPIC_REPLICATION_FACTOR: '3' });
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(/^roomcast: cannot use Kafka at .* — check ROOMCAST_TOPIC_REPLICATION_FACTOR \/ ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS: ROOMCAST_TOPIC_REPLICATION_FACTOR=3 needs at least 3 brokers, but the Kafka cluster has 1/),
    ]);
  });

  it('refuses min.insync.replicas above the replication factor as a configuration error', async () => {
    const r = await run({ ROOMCAST_TOPIC_REPLICATION_FACTOR: '1', ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS: '2' });
    expect(r.code).toBe(2);
    expect(lines(r.stderr).join('\n')).toMatch(/ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS=2 is above ROOMCAST_TOPIC_REPLICATION_FACTOR=1/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a database URL that is not PostgreSQL before trying anything', async () => {
    const r = await run({ ROOMCAST_DATABASE_URL: 'mysql://root:pw@127.0.0.1:3306/roomcast' });
    expect(r.code).toBe(2);
    expect(lines(r.stderr).join('\n')).toMatch(/ROOMCAST_DATABASE_URL.*must be a postgresql:\/\/ URL/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
