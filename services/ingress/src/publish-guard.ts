/**
 * Guards of the publish path that are not about the payload itself:
 *
 * - `withinTimeout` bounds the wait for Kafka. kafkajs retries a dead or unreachable broker for
 *   a long time; the caller gets 503 `publish.kafka_unavailable` with `Retry-After` after
 *   `ROOMCAST_PUBLISH_TIMEOUT_MS` instead. The send itself cannot be withdrawn, so a record may
 *   still land after the 503: a 503 means "not known to be stored", never "not stored". The
 *   client retries with the same event id (`id` / `Idempotency-Key`), which the dedup window
 *   turns into a replay instead of a duplicate.
 * - `recordValidationFailure` counts refused input by reason for the metrics.
 */
import { RoomcastError } from '@roomcast/core';
import type { IngressMetrics } from './metrics.ts';
import type { PayloadLimits } from './payload-checks.ts';

export interface PublishLimits {
  payload: PayloadLimits;
  /** Longest wait for Kafka's acknowledgement, in ms. */
  timeoutMs: number;
  /** Seconds the client is told to wait before retrying after a 503. */
  retryAfterSeconds: number;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 5000;

export function kafkaUnavailable(cause: unknown, retryAfterSeconds = 1): RoomcastError {
  return new RoomcastError('publish.kafka_unavailable', { cause, headers: { 'retry-after': String(retryAfterSeconds) } });
}

/** Resolves with the send's result, or rejects with 503 once `ms` have passed without one. */
export function withinTimeout<T>(send: Promise<T>, ms: number, retryAfterSeconds = 1): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(kafkaUnavailable(new Error(`Kafka did not acknowledge within ${ms} ms`), retryAfterSeconds)), ms);
  });
  // A send that fails after the timeout already answered must not become an unhandled rejection.
  send.catch(() => {});
  return Promise.race([send, timeout]).finally(() => clearTimeout(timer));
}

/** Error codes that mean "the caller's input was refused", by metric reason. */
const VALIDATION_REASONS: Record<string, string> = {
  'request.unsupported_media_type': 'content_type',
  'request.too_large': 'too_large',
  'request.invalid_encoding': 'invalid_utf8',
  'request.invalid_json': 'invalid_json',
  'request.validation_failed': 'shape',
  'publish.event_type_mismatch': 'event_type_mismatch',
  'publish.too_deep': 'too_deep',
  'publish.forbidden_key': 'forbidden_key',
  'publish.unsafe_number': 'unsafe_number',
  'publish.string_too_long': 'string_too_long',
  'publish.schema_violation': 'schema',
  'publish.batch_too_large': 'batch_too_large',
  'publish.event_too_large': 'record_too_large',
};

export function validationReason(err: unknown): string | undefined {
  return err instanceof RoomcastError ? VALIDATION_REASONS[err.code] : undefined;
}

export function recordValidationFailure(metrics: IngressMetrics, err: unknown): void {
  const reason = validationReason(err);
  if (reason) metrics.validationFailures.inc({ reason });
}
