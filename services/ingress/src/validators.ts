/**
 * Compiled JSON Schema validators, cached by registry schema id. Schemas are fetched and
 * compiled when a routing-contract generation names a new id (warm), so the publish path only
 * looks a validator up; a miss (a schema id seen before its warm-up finished) fetches once and
 * every concurrent request waits on that one fetch.
 *
 * Each entry also holds what validation.ts needs to decide where a payload is checked: the
 * schema's unfolded cost (schema-cost.ts in the registry package) and its text, sent to the
 * validation worker. A schema larger than INLINE_SCHEMA_BYTES is not compiled on the event loop
 * at all (compiling is itself work proportional to its size): only the worker runs it.
 */
import type { FieldError, Logger } from '@roomcast/core';
import { EVENT_MAX_DEPTH, eventSchemaCompiler, type Registry, schemaCost } from '@roomcast/registry';
import { toFieldErrors } from './validation-errors.ts';

export type Validate = (payload: unknown) => FieldError[];

/** Schemas whose JSON text is larger than this are compiled and run only in the validation worker. */
export const INLINE_SCHEMA_BYTES = 16 * 1024;

export interface CachedSchema {
  schemaId: number;
  /** Inline validator; undefined when the schema is too large to compile on the event loop. */
  validate: Validate | undefined;
  /** Upper bound of subschema applications per payload value (Infinity: unbounded). */
  unfolded: number;
  /** The schema's JSON text, for the worker. */
  text: string;
  /**
   * Whether validating may read strings character by character (patterns, formats, lengths,
   * equality). Without such keywords a string costs one step whatever its length.
   */
  scansStrings: boolean;
}

/** Keywords whose work grows with a string's length (a property so named counts too: conservative). */
const STRING_SCANNING = /"(pattern|patternProperties|format|minLength|maxLength|uniqueItems|const|enum|propertyNames|contentEncoding|contentMediaType)"/;

export function scansStrings(text: string): boolean {
  return STRING_SCANNING.test(text);
}

export class ValidatorCache {
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #maxDepth: number;
  readonly #compiler = eventSchemaCompiler();
  readonly #compiled = new Map<number, CachedSchema>();
  readonly #pending = new Map<number, Promise<CachedSchema>>();

  /** `maxDepth`: the deepest payload the ingress accepts, the horizon of the cost bound. */
  constructor(registry: Registry, logger: Logger, maxDepth = EVENT_MAX_DEPTH) {
    this.#registry = registry;
    this.#logger = logger;
    this.#maxDepth = maxDepth;
  }

  /** Synchronous lookup for the hot path. */
  peek(schemaId: number): CachedSchema | undefined {
    return this.#compiled.get(schemaId);
  }

  get(schemaId: number): Promise<CachedSchema> {
    const ready = this.#compiled.get(schemaId);
    if (ready) return Promise.resolve(ready);
    let pending = this.#pending.get(schemaId);
    if (!pending) {
      pending = this.#load(schemaId).finally(() => this.#pending.delete(schemaId));
      this.#pending.set(schemaId, pending);
    }
    return pending;
  }

  /** Compiles every id not cached yet; failures are logged and retried on first use. */
  async warm(schemaIds: Iterable<number>): Promise<void> {
    await Promise.all(
      [...new Set(schemaIds)].filter((id) => !this.#compiled.has(id)).map((id) =>
        this.get(id).catch((err: unknown) => this.#logger.warn('schema warm-up failed', { schemaId: id, error: err })),
      ),
    );
  }

  async #load(schemaId: number): Promise<CachedSchema> {
    const schema = await this.#registry.getJsonSchema(schemaId);
    const text = JSON.stringify(schema);
    const { unfolded } = schemaCost(schema, this.#maxDepth);
    let validate: Validate | undefined;
    if (text.length <= INLINE_SCHEMA_BYTES) {
      const fn = this.#compiler.compile(schema);
      validate = (payload) => (fn(payload) ? [] : toFieldErrors(fn.errors));
    }
    const entry: CachedSchema = { schemaId, validate, unfolded, text, scansStrings: scansStrings(text) };
    this.#compiled.set(schemaId, entry);
    return entry;
  }
}
