/**
 * The log sink's settings: the message log's database, signing keys, checkpoints, retention
 * and archive (`logConfigSpec`, packages/log). Loaded with `commonConfigSpec` (packages/runtime)
 * by main.ts and by the all-in-one process; `.env.example` is generated from these help texts.
 */
import type { ConfigOf } from '@roomcast/core';
import { logConfigSpec } from '@roomcast/log';
import type { commonConfigSpec } from '@roomcast/runtime';

export const logSinkConfigSpec = { ...logConfigSpec };

export type LogSinkConfig = ConfigOf<typeof commonConfigSpec & typeof logSinkConfigSpec>;
