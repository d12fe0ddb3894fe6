/**
 * The closed catalog of error codes Roomcast returns. Every HTTP error body is
 * `application/problem+json` built from one of these entries, so clients can branch on
 * `code` and operators can grep for it. Adding a code means adding it here (and to
 * schemas/error-codes.json, which a test keeps in step).
 */

export const ERROR_CATALOG = {
  'request.invalid_json': { status: 400, title: 'Request body is not valid JSON' },
  'request.unsupported_media_type': { status: 415, title: 'Content-Type must be application/json' },
  'request.too_large': { status: 413, title: 'Request body is too large' },
  'request.validation_failed': { status: 400, title: 'Request does not match the expected shape' },
  'request.invalid_encoding': { status: 400, title: 'Request body is not valid UTF-8' },
  'auth.missing_credentials': { status: 401, title: 'Authentication is required' },
  'auth.invalid_credentials': { status: 401, title: 'The API key is not valid' },
  'auth.client_mismatch': { status: 403, title: 'X-GovStack-Client does not match the authenticated client' },
  'auth.forbidden': { status: 403, title: 'The caller may not perform this action' },
  'auth.client_certificate_invalid': { status: 401, title: 'The client certificate is not valid or not registered' },
  'auth.not_approved': { status: 403, title: 'The member or application is not approved yet' },
  'publish.not_allowed': { status: 403, title: 'No publisher contract allows this event type' },
  'publish.event_type_mismatch': { status: 400, title: 'Path and body name different event types' },
  'publish.schema_violation': { status: 400, title: 'Event does not match the event type schema' },
  'publish.too_deep': { status: 400, title: 'Event nests deeper than the limit' },
  'publish.forbidden_key': { status: 400, title: 'Event uses a forbidden property name (__proto__, constructor)' },
  'publish.unsafe_number': { status: 400, title: 'Event contains a number that is not finite or beyond 2^53' },
  'publish.string_too_long': { status: 400, title: 'Event contains a string longer than the limit' },
  'publish.validation_too_costly': { status: 422, title: 'Validating this event against its schema would take longer than the ingress allows; simplify the schema or the payload' },
  'publish.validation_busy': { status: 503, title: 'Too many costly validations are waiting; retry after Retry-After', retryable: true },
  'publish.batch_too_large': { status: 400, title: 'Batch has more events than the limit' },
  'publish.kafka_unavailable': { status: 503, title: 'The event could not be stored; retry', retryable: true },
  'publish.event_too_large': { status: 413, title: 'The event is larger than one Kafka record may be; retrying cannot help' },
  'publish.encryption_unavailable': { status: 503, title: 'The room key for this classified event is not available; retry', retryable: true },
  'encryption.not_configured': { status: 409, title: 'Classified event types need a master key (ROOMCAST_MASTER_KEY)' },
  'publish.rate_limited': { status: 429, title: 'Too many events from this publisher or into this room; retry after Retry-After', retryable: true },
  'publish.id_conflict': { status: 409, title: 'This event id was already published with a different payload' },
  'publish.id_in_progress': { status: 409, title: 'An event with this id is being published right now; retry', retryable: true },
  'event.not_found': { status: 404, title: 'Event not found' },
  'log.query_too_wide': { status: 400, title: 'The log query took too long; narrow the time range or add filters' },
  'log.not_checkpointed': { status: 409, title: 'The log entry is not covered by a signed checkpoint yet; retry shortly', retryable: true },
  'pull.no_event': { status: 404, title: 'No event is waiting for this subscription right now' },
  'pull.lease_expired': { status: 409, title: 'The lease has ended (expired, or the event was handed out again); the event will be handed out again' },
  'pull.lease_not_held': { status: 409, title: 'The receipt names no lease of this subscription (another subscription’s, malformed, or an event already acknowledged)' },
  'room.not_found': { status: 404, title: 'Room not found' },
  'room.not_approved': { status: 409, title: 'Room is not approved yet' },
  'room.already_exists': { status: 409, title: 'Room already exists' },
  'room.has_event_types': { status: 409, title: 'Room still has event types; delete them first' },
  'event_type.not_found': { status: 404, title: 'Event type not found' },
  'event_type.already_exists': { status: 409, title: 'Event type already exists' },
  'event_type.schema_invalid': { status: 400, title: 'The JSON Schema is not valid' },
  'event_type.schema_incompatible': { status: 409, title: 'The new schema is not compatible with the current version' },
  'event_type.in_use': { status: 409, title: 'Event type still has subscriptions' },
  'member.not_found': { status: 404, title: 'Member not found' },
  'member.already_exists': { status: 409, title: 'Member already exists' },
  'member.invalid_state': { status: 409, title: 'Member is not in a state that allows this' },
  'member.apply_limited': { status: 429, title: 'Too many member applications; retry after Retry-After', retryable: true },
  'application.not_found': { status: 404, title: 'Application not found' },
  'application.already_exists': { status: 409, title: 'Application already exists' },
  'application.invalid_state': { status: 409, title: 'Application is not in a state that allows this' },
  'api_key.not_found': { status: 404, title: 'API key not found' },
  'api_key.last_global_admin': { status: 409, title: 'The last active global-admin key cannot be revoked; issue another one first' },
  'contract.not_found': { status: 404, title: 'Publisher contract not found' },
  'subscription.not_found': { status: 404, title: 'Subscription not found' },
  'subscription.already_exists': { status: 409, title: 'Subscription already exists' },
  'subscription.endpoint_rejected': { status: 400, title: 'Push endpoint URL is not allowed' },
  'dead_letter.not_found': { status: 404, title: 'Dead letter not found' },
  'redrive.not_found': { status: 404, title: 'Redrive or purge not found' },
  'dead_letter.busy': { status: 409, title: 'Another redrive or purge of this subscription is under way; retry', retryable: true },
  'subscription.invalid_state': { status: 409, title: 'Subscription is not in a state that allows this' },
  'subscription.not_paused': { status: 409, title: 'Replay needs a PAUSED subscription; pause it first' },
  'subscription.consumers_active': { status: 409, title: 'The subscription’s consumers have not stopped yet; retry in a few seconds', retryable: true },
  'stream.limit_reached': { status: 429, title: 'Too many live streams open for this subscription or on this process; retry after Retry-After', retryable: true },
  'allowlist.not_found': { status: 404, title: 'Endpoint allowlist entry not found' },
  'allowlist.already_exists': { status: 409, title: 'Endpoint allowlist entry already exists' },
  'allowlist.pattern_too_broad': { status: 422, title: 'Allowlist pattern would switch the address guard off; send force: true to add it anyway' },
  'directory.unknown_service': { status: 400, title: 'No such service for this provider' },
  'config.invalid': { status: 400, title: 'The configuration cannot be applied' },
  'config.not_configured': { status: 409, title: 'The instance is not configured yet (POST /api/v1/config)' },
  'route.not_found': { status: 404, title: 'No such route' },
  'method.not_allowed': { status: 405, title: 'Method not allowed on this route' },
  'dependency.unavailable': { status: 503, title: 'A backing service is unavailable', retryable: true },
  'internal': { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string; retryable?: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** One failing field of a validation error: an RFC 6901 JSON pointer and why it failed. */
export interface FieldError {
  pointer: string;
  message: string;
}

export interface RoomcastErrorOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

export class RoomcastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: RoomcastErrorOptions = {}) {
    super(options.detail ?? ERROR_CATALOG[code].title, { cause: options.cause });
    this.name = 'RoomcastError';
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.errors = options.errors;
    this.headers = options.headers;
  }

  get retryable(): boolean {
    const entry: { status: number; retryable?: boolean } = ERROR_CATALOG[this.code];
    return entry.retryable === true;
  }
}

/** RFC 9457 problem details, with Roomcast's stable `code` and field errors. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Turns any thrown value into a problem body. Unknown errors become `internal` and leak nothing. */
export function toProblem(err: unknown, requestId: string): Problem {
  const known = err instanceof RoomcastError ? err : new RoomcastError('internal');
  const entry = ERROR_CATALOG[known.code];
  const problem: Problem = {
    type: `https://roomcast.dev/problems/${known.code}`,
    title: entry.title,
    status: entry.status,
    detail: known.message,
    code: known.code,
    requestId,
  };
  if (known.errors && known.errors.length > 0) problem.errors = known.errors;
  return problem;
}
