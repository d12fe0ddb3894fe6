/**
 * Integration-test fixture: the whole platform in this process against the real local
 * infrastructure, isolated by a unique prefix — its own Kafka topics and consumer groups,
 * Redis keys and PostgreSQL schema — and cleaned up afterwards, so test files run in
 * parallel and twice in a row without meeting each other.
 */
import { randomBytes } from 'node:crypto';
import { createLogger, loadConfig } from '@roomcast/core';
import { dropSchema } from '@roomcast/db';
import { type Platform, platformConfigSpec, startPlatform } from '@roomcast/all';
import { infraEndpoints } from '../../scripts/infra/config.ts';

export function uniquePrefix(tag: string): string {
  return `t_${tag}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.toLowerCase();
}

/** The routing-contract key of every test process (the platform and the services tests start on their own). */
export const TEST_ROUTING_KEY = randomBytes(32).toString('base64');

export function testConfig(prefix: string, overrides: Record<string, string> = {}) {
  const ep = infraEndpoints();
  return loadConfig(platformConfigSpec, {
    ROOMCAST_KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_DATABASE_URL: ep.databaseUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_PORT: '0',
    ROOMCAST_NAME_PREFIX: prefix,
    ROOMCAST_DATABASE_SCHEMA: prefix,
    ROOMCAST_LOG_SCHEMA: `${prefix}_log`,
    ROOMCAST_DEV_MODE: 'true',
    ROOMCAST_DEFAULT_PARTITIONS: '2',
    ROOMCAST_BOOTSTRAP_ADMIN_KEY: `rck_test_admin_${randomBytes(24).toString('base64url')}`,
    ROOMCAST_MASTER_KEY: randomBytes(32).toString('base64'),
    ROOMCAST_ROUTING_KEY: TEST_ROUTING_KEY,
    ROOMCAST_LOG_LEVEL: process.env.ROOMCAST_TEST_LOG_LEVEL ?? 'error',
    ...overrides,
  });
}

export interface TestPlatform {
  platform: Platform;
  config: ReturnType<typeof testConfig>;
  adminKey: string;
  prefix: string;
  cleanup(): Promise<void>;
}

export async function startTestPlatform(tag: string, overrides: Record<string, string> = {}): Promise<TestPlatform> {
  const prefix = uniquePrefix(tag);
  const config = testConfig(prefix, overrides);
  const platform = await startPlatform(config, createLogger({ level: config.ROOMCAST_LOG_LEVEL as 'error', base: { test: tag } }));
  return {
    platform,
    config,
    adminKey: config.ROOMCAST_BOOTSTRAP_ADMIN_KEY as string,
    prefix,
    async cleanup() {
      const { kafka, redis } = platform.runtime;
      const admin = kafka.admin();
      await platform.dispatcher.stop();
      await platform.logSink?.stop();
      await admin.connect();
      try {
        const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${prefix}.`));
        if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
        if (topics.length > 0) await admin.deleteTopics({ topics });
      } finally {
        await admin.disconnect();
      }
      // In slices: a bench leaves hundreds of thousands of dedup keys, too many for one call's arguments.
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
      await platform.stop();
      await dropSchema(config.ROOMCAST_DATABASE_URL, prefix);
      await dropSchema(config.ROOMCAST_DATABASE_URL, `${prefix}_log`);
    },
  };
}
