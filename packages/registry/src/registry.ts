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
}

export interface RegisteredSchema {
  id: number;
  schema: Record<string, unknown>;
}

export class RegistryError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, cause?: unknown) {
    super(message, { cause });
    this.name = 'RegistryError';
    this.status = status;
  }
}

export interface Registry {
  /** Registers a JSON Schema under a subject (idempotent for an identical schema) and returns its global id. */
  registerJsonSchema(subject: string, schema: Record<string, unknown>): Promise<number>;
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
  const client = new SchemaRegistry({ host: base, retry: { retries: 2 } }, { [SchemaType.JSON]: { ajvInstance } });

  async function getJson(path: string): Promise<unknown> {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new RegistryError(`registry GET ${path} answered ${res.status}`, res.status);
    return res.json();
  }

  return {
    async registerJsonSchema(subject, schema) {
      try {
        const { id } = await client.register(
          { type: SchemaType.JSON, schema: JSON.stringify(schema) },
          { subject, compatibility: COMPATIBILITY.BACKWARD },
        );
        return id;
      } catch (err) {
        // An argument error is the library refusing the schema itself: a caller mistake (422).
        const status = (err as Error).name === 'ConfluentSchemaRegistryArgumentError' ? 422 : (err as { status?: number }).status;
        throw new RegistryError(`schema registration for ${subject} failed: ${(err as Error).message}`, status, err);
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
