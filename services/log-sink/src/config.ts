/**
 * The log sink's settings: the message log's database, signing keys, checkpoints, retention
 * and archive (`logConfigSpec`, packages/log); the bounds of a dead-letter redrive. Loaded with `commonConfigSpec` (packages/runtime)
 * by main.ts and by the all-in-one process; `.env.example` is generated from these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { logConfigSpec } from '@roomcast/log';
import { type commonConfigSpec, encryptionConfigSpec } from '@roomcast/runtime';

export const logSinkConfigSpec = {
  ...logConfigSpec,
  ...encryptionConfigSpec,
  ROOMCAST_REDRIVE_MAX_EVENTS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Most dead letters one redrive or purge call takes (the oldest matching first); call again for the rest.',
  },
  ROOMCAST_REDRIVE_MAX_RATE_PER_SEC: {
    kind: 'int',
    default: '50',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: 'Pace of a redrive in deliveries per second: the default and the highest a caller may ask for (the subscription\'s own rate limit applies too).',
  },
} satisfies ConfigSpec;

export type LogSinkConfig = ConfigOf<typeof commonConfigSpec & typeof logSinkConfigSpec>;
