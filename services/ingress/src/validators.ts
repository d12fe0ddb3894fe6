/**
 * Compiled JSON Schema validators, cached by registry schema id. Schemas are fetched and
 * compiled when a routing-contract generation names a new id (warm), so the publish path only
 * looks a validator up; a miss (a schema id seen before its warm-up finished) fetches once and
 * every concurrent request waits on that one fetch.
 */
import type { FieldError, Logger } from '@roomcast/core';
import type { Registry } from '@roomcast/registry';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under ESM its callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as <T extends Ajv>(ajv: T) => T;

export type Validate = (payload: unknown) => FieldError[];

function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty ?? '')}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty ?? '')}` : '';
    return { pointer: `${e.instancePath}${missing}${extra}`, message: e.message ?? e.keyword };
  });
}

export class ValidatorCache {
  readonly #registry: Registry;
  readonly #logger: Logger;
  readonly #draft7 = addFormats(new Ajv({ allErrors: true, strict: false }));
  readonly #draft2020 = addFormats(new Ajv2020({ allErrors: true, strict: false }) as unknown as Ajv) as unknown as Ajv2020;
  readonly #compiled = new Map<number, Validate>();
  readonly #pending = new Map<number, Promise<Validate>>();

  constructor(registry: Registry, logger: Logger) {
    this.#registry = registry;
    this.#logger = logger;
  }

  /** Synchronous lookup for the hot path. */
  peek(schemaId: number): Validate | undefined {
    return this.#compiled.get(schemaId);
  }

  get(schemaId: number): Promise<Validate> {
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

  async #load(schemaId: number): Promise<Validate> {
    const schema = await this.#registry.getJsonSchema(schemaId);
    const ajv = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12') ? this.#draft2020 : this.#draft7;
    // Registry ids are global and immutable, so the schema's own $id must not collide across
    // subjects inside one Ajv instance: compile without registering it by $id.
    const { $id: _ignored, ...anonymous } = schema;
    const fn: ValidateFunction = ajv.compile(anonymous);
    const validate: Validate = (payload) => (fn(payload) ? [] : toFieldErrors(fn.errors));
    this.#compiled.set(schemaId, validate);
    return validate;
  }
}
