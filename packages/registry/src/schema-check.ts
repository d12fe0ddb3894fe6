/**
 * Whether a JSON Schema can be used to validate events: compiled the way the ingress compiles
 * it (draft-07, or 2020-12 when `$schema` says so; standard formats; `$id` ignored), so a schema
 * accepted by the control plane never fails at the publish path.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under ESM its callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as <T extends Ajv>(ajv: T) => T;

/** Undefined when the schema compiles; otherwise the compiler's reason. */
export function jsonSchemaProblem(schema: Record<string, unknown>): string | undefined {
  const { $id: _ignored, ...anonymous } = schema;
  // A fresh compiler per check: Ajv caches every schema it compiles, and these are arbitrary
  // caller input arriving at control-plane rates.
  const ajv =
    typeof schema.$schema === 'string' && schema.$schema.includes('2020-12')
      ? (addFormats(new Ajv2020({ allErrors: true, strict: false }) as unknown as Ajv) as Ajv)
      : addFormats(new Ajv({ allErrors: true, strict: false }));
  try {
    ajv.compile(anonymous);
    return undefined;
  } catch (err) {
    return (err as Error).message.slice(0, 500);
  }
}
