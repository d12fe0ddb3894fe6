/**
 * The one doorway to the Confluent-compatible schema registry (Apicurio's ccompat API
 * locally). Registration goes through @kafkajs/confluent-schema-registry; raw schema reads
 * use the same REST API directly because the library only hands back compiled validators.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under ESM its callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

export interface RegistryOptions {
  /** Base URL including any path prefix, e.g. http://127.0.0.1:18081/apis/ccompat/v7 */
  url: string;
  timeoutMs?: number;
  /** Basic auth (Confluent's user info, Apicurio with basic auth) or a bearer token (OIDC); at most one. */
  auth?: { username: string; password: string } | { token: string } | undefined;
}

export interface RegisteredSchema {
  id: number;
  schema: Record<string, unknown>;
}

export class RegistryError extends Error {
  readonly status: number | undefined;
  /** The registry's own explanation (e.g. why a schema is incompatible), when it gave one. */
  readonly reason: string | undefined;
  constructor(message: string, status?: number, cause?: unknown, reason?: string) {
    super(message, { cause });
    this.name = 'RegistryError';
    this.status = status;
    this.reason = reason;
  }
}

/**
 * The registry's reason from an error message, without the client library's prefix
 * (`Confluent_Schema_Registry - `) or a Java exception class name, e.g.
 * "Incompatible artifact: …, list of diff types: […]".
 */
export function registryReason(message: string): string {
  return message
    .replace(/^(?:Confluent_Schema_Registry)? - /, '')
    .replace(/^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error): /, '')
    .trim();
}

export interface SchemaVersion {
  /** Global schema id (what records carry in the wire format). */
  id: number;
  /** Version of the schema under its subject. */
  version: number;
}

export interface Registry {
  /** Registers a JSON Schema under a subject (idempotent for an identical schema) and returns its global id. */
  registerJsonSchema(subject: string, schema: Record<string, unknown>): Promise<number>;
  /**
   * Registers a schema under a subject and says which version it became. The registry applies
   * the subject's compatibility rule (BACKWARD): a refusal is a RegistryError with status 409
   * and the registry's reason. An identical schema answers its existing id and version.
   */
  registerVersion(subject: string, schema: Record<string, unknown>): Promise<SchemaVersion>;
  /**
   * Soft-deletes a subject: its versions no longer take part in compatibility checks and a new
   * registration starts afresh, while schemas stay readable by id for records still in Kafka.
   * Answers false when there was no such subject.
   */
  deleteSubject(subject: string): Promise<boolean>;
  /** Reads a schema back by its global id. */
  getJsonSchema(id: number): Promise<Record<string, unknown>>;
  /** Validates a payload with the library's own validator for that id (used to prove the round trip). */
  libraryValidates(id: number, payload: unknown): Promise<boolean>;
  probe(): Promise<void>;
}

export function createRegistry(options: RegistryOptions): Registry {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  // The library compiles each schema it registers or reads; give it an Ajv that knows the
  // standard formats (date-time, email, uuid…) so such schemas are not refused.
  const ajvInstance = addFormats(new Ajv({ strict: false, allErrors: true }));
  const authorization =
    options.auth === undefined
      ? undefined
      : 'token' in options.auth
        ? `Bearer ${options.auth.token}`
        : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
  // The library's calls carry the same Authorization header as ours and the same time limit
  // (a mappersmith middleware; the library sets no limit of its own, so a registry that stops
  // answering would otherwise hold a schema registration for ever).
  const withAuth = () => ({
    prepareRequest: (next: () => Promise<{ enhance(o: { headers?: Record<string, string>; timeout?: number }): unknown }>) =>
      next().then((req) => req.enhance({ timeout: timeoutMs, ...(authorization ? { headers: { authorization } } : {}) })),
  });
  const client = new SchemaRegistry(
    { host: base, retry: { retries: 2 }, middlewares: [withAuth as never] },
    { [SchemaType.JSON]: { ajvInstance } },
  );

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${base}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let reason: string | undefined;
      try {
        const message = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof message === 'string') reason = registryReason(message);
      } catch {
        // not JSON: no reason to quote
      }
      throw new RegistryError(`registry ${method} ${path} answered ${res.status}`, res.status, undefined, reason);
    }
    return text ? JSON.parse(text) : undefined;
  }
  const getJson = (path: string) => request('GET', path);
  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;

  async function register(subject: string, schema: Record<string, unknown>): Promise<number> {
    try {
      const { id } = await client.register(
        { type: SchemaType.JSON, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      return id;
    } catch (err) {
      // An argument error is the library refusing the schema itself: a caller mistake (422).
      const status =
        (err as Error).name === 'ConfluentSchemaRegistryArgumentError' ? 422 : wireFailure(err) ? undefined : (err as { status?: number }).status;
      const message = (err as Error).message;
      throw new RegistryError(`schema registration for ${subject} failed: ${message}`, status, err, registryReason(message));
    }
  }

  return {
    registerJsonSchema: register,
    async registerVersion(subject, schema) {
      const id = await register(subject, schema);
      // The library answers only the id; the subject lookup names the version that holds it.
      const found = (await request('POST', subjectPath(subject), { schemaType: 'JSON', schema: JSON.stringify(schema) })) as { id?: number; version?: number };
      if (typeof found?.version !== 'number') throw new RegistryError(`registry did not report the version of schema ${id} under ${subject}`);
      return { id, version: found.version };
    },
    async deleteSubject(subject) {
      try {
        await request('DELETE', subjectPath(subject));
        return true;
      } catch (err) {
        if (err instanceof RegistryError && err.status === 404) return false;
        throw err;
      }
    },
    async getJsonSchema(id) {
      const body = (await getJson(`/schemas/ids/${id}`)) as { schema?: string; schemaType?: string };
      if (typeof body.schema !== 'string') throw new RegistryError(`registry returned no schema for id ${id}`);
      return JSON.parse(body.schema) as Record<string, unknown>;
    },
    async libraryValidates(id, payload) {
      const schema = (await client.getSchema(id)) as unknown as { isValid(p: unknown, o: { errorHook: () => void }): boolean };
      // The library's isValid answers true for invalid payloads unless an errorHook is given.
      return schema.isValid(payload, { errorHook: () => {} });
    },
    async probe() {
      await getJson('/subjects');
    },
  };
}

/**
 * Mappersmith reports a failure on our side of the wire (its time limit, a refused or reset
 * connection) as a status 400 whose text is the error's, where a registry's own 400 carries a JSON
 * message. Such a failure means the registry is unavailable, never that it refused the schema.
 */
function wireFailure(err: unknown): boolean {
  return (err as { status?: number }).status === 400 && /Error, status 400: (Timeout \(\d+ms\)|.*\b(E[A-Z]{4,}|socket hang up)\b)/.test((err as Error).message);
}

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the serialised payload. */
export function encodeWire(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = 0;
  out.writeUInt32BE(schemaId, 1);
  payload.copy(out, 5);
  return out;
}

export function decodeWire(buf: Buffer): { schemaId: number; payload: Buffer } | undefined {
  if (buf.length < 5 || buf[0] !== 0) return undefined;
  return { schemaId: buf.readUInt32BE(1), payload: buf.subarray(5) };
}
