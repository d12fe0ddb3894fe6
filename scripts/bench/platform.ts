/**
 * The whole platform in this process for the bench, isolated by a unique prefix like the
 * integration-test fixture (test/support/platform.ts), whose config it reuses. Unlike that
 * fixture it lets the bench stop the dispatcher mid-run, to measure publish without delivery.
 */
import { createLogger } from '@roomcast/core';
import { dropSchema } from '@roomcast/db';
import { type Platform, startPlatform } from '@roomcast/all';
import { testConfig, uniquePrefix } from '../../test/support/platform.ts';

export interface BenchPlatform {
  platform: Platform;
  adminKey: string;
  prefix: string;
  stopDispatcher(): Promise<void>;
  /** Deletes the platform's consumer groups, topics, Redis keys and schema, and stops it. */
  cleanup(): Promise<void>;
}

export async function startBenchPlatform(): Promise<BenchPlatform> {
  const prefix = uniquePrefix('bench');
  const config = testConfig(prefix);
  const platform = await startPlatform(config, createLogger({ level: 'error', base: { bench: true } }));
  let dispatcherStopped: Promise<void> | undefined;
  const stopDispatcher = (): Promise<void> => {
    dispatcherStopped ??= platform.dispatcher.stop();
    return dispatcherStopped;
  };
  return {
    platform,
    adminKey: config.ROOMCAST_BOOTSTRAP_ADMIN_KEY as string,
    prefix,
    stopDispatcher,
    async cleanup() {
      const { kafka, redis } = platform.runtime;
      await stopDispatcher();
      const admin = kafka.admin();
      await admin.connect();
      try {
        const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${prefix}.`));
        if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
        if (topics.length > 0) await admin.deleteTopics({ topics });
      } finally {
        await admin.disconnect();
      }
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      // platform.stop() stops the units again; the second dispatcher stop only logs a warning there.
      await platform.stop();
      await dropSchema(config.ROOMCAST_DATABASE_URL, prefix);
    },
  };
}
