/**
 * Settings of the message log, shared by the sink (which writes it) and every process that
 * reads it (the ingress's event status, the log API). Loaded with the process's other specs.
 */
import { type ConfigOf, type ConfigSpec, postgresUrlCheck } from '@roomcast/core';
import { logSigner, type LogSigner, parseKeyList, publicKeyOf, signingKeyProblem } from './signing.ts';

const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export const logConfigSpec = {
  ROOMCAST_LOG_DATABASE_URL: {
    kind: 'url',
    default: 'postgresql://roomcast_log:roomcast_log@127.0.0.1:15432/roomcast',
    check: postgresUrlCheck,
    help: 'PostgreSQL URL of the message log, as the log role (`roomcast_log`: read and append only). Defaults to the control-plane database; point it at its own server to keep the log apart.',
  },
  ROOMCAST_LOG_SCHEMA: {
    kind: 'string',
    default: 'roomcast_log',
    check: (v) => (/^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : 'must be a lower-case SQL identifier'),
    help: 'PostgreSQL schema of the message log tables.',
  },
  ROOMCAST_LOG_MIGRATE_URL: {
    kind: 'url',
    optional: true,
    check: postgresUrlCheck,
    help: 'URL of the log database as the log schema\'s owner, used to apply the log\'s migrations at start. Unset: the all-in-one process uses ROOMCAST_DATABASE_URL; a standalone sink does not migrate.',
  },
  ROOMCAST_LOG_SIGNING_KEY: {
    kind: 'secret',
    optional: true,
    check: signingKeyProblem,
    help: 'Ed25519 private key (base64 PKCS#8 DER, or PEM) signing the log checkpoints; `npm run log -- keygen` makes one. Unset in development mode: a key is generated at start (its checkpoints verify only while it is published by that process).',
  },
  ROOMCAST_LOG_SIGNING_KEY_ID: {
    kind: 'string',
    default: 'log-1',
    check: (v) => (KEY_ID_RE.test(v) ? undefined : 'use 1-64 letters, digits, ., _ or -'),
    help: 'Id of ROOMCAST_LOG_SIGNING_KEY, recorded in every checkpoint it signs. Give a new key a new id.',
  },
  ROOMCAST_LOG_RETIRED_KEYS: {
    kind: 'string',
    optional: true,
    check: (v) => {
      try {
        for (const pub of Object.values(parseKeyList(v))) publicKeyOf(pub);
        return undefined;
      } catch (err) {
        return `must be comma-separated id:base64-SPKI pairs of Ed25519 public keys (${(err as Error).message})`;
      }
    },
    help: 'Key rotation: public keys (id:base64 SPKI DER, comma-separated) of earlier signing keys, so checkpoints they signed still verify and are published at /api/v1/log/keys.',
  },
  ROOMCAST_LOG_CHECKPOINT_EVERY: { kind: 'int', default: '1000', check: (v) => (v >= 1 ? undefined : 'must be at least 1'), help: 'A signed checkpoint after this many log rows of one stream (Kafka partition)…' },
  ROOMCAST_LOG_CHECKPOINT_INTERVAL_MS: { kind: 'int', default: '10000', check: (v) => (v >= 100 ? undefined : 'must be at least 100'), help: '…or once its oldest unsigned row is this old.' },
  ROOMCAST_LOG_SINK_SESSION_TIMEOUT_MS: {
    kind: 'int',
    default: '30000',
    check: (v) => (v >= 6000 ? undefined : 'must be at least 6000 (the broker\'s lowest session timeout)'),
    help: 'Consumer session timeout of a log sink: how soon the partitions of a sink that died move to another.',
  },
  ROOMCAST_LOG_RETENTION_DAYS: { kind: 'int', default: '400', check: (v) => (v >= 1 ? undefined : 'must be at least 1'), help: 'Days a day partition of the log is kept in PostgreSQL; older ones are archived (ROOMCAST_LOG_ARCHIVE_DIR) and then dropped.' },
  ROOMCAST_LOG_ARCHIVE_DIR: { kind: 'string', default: '.local/log-archive', help: 'Folder receiving one gzip JSON Lines file per archived day partition, with a manifest (rows, SHA-256).' },
  ROOMCAST_LOG_STATUS_WAIT_MS: {
    kind: 'int',
    default: '3000',
    check: (v) => (v >= 0 ? undefined : 'must not be negative'),
    help: 'How long an event-status request for an event not yet in the log waits for the sink to reach the room topic\'s end before answering 404.',
  },
} satisfies ConfigSpec;

export type LogConfig = ConfigOf<typeof logConfigSpec>;

/** The checkpoint signer from configuration; in development mode without a key, a fresh one. */
export function logSignerOf(config: LogConfig, devMode: boolean, generate: () => string): LogSigner {
  const retired = config.ROOMCAST_LOG_RETIRED_KEYS ? parseKeyList(config.ROOMCAST_LOG_RETIRED_KEYS) : {};
  const key = config.ROOMCAST_LOG_SIGNING_KEY ?? (devMode ? generate() : undefined);
  if (!key) throw Object.assign(new Error('ROOMCAST_LOG_SIGNING_KEY is required outside development mode (generate one with `npm run log -- keygen`)'), { name: 'ConfigError' });
  return logSigner(config.ROOMCAST_LOG_SIGNING_KEY_ID, key, retired);
}
