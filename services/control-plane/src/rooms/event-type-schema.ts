/**
 * Pure checks on an event type's definition before anything reaches the registry: the schema
 * arrives as a JSON object or as a string holding one (the GovStack spec types it as an object
 * but its example is a string), and the key attribute must be a JSON pointer that can name a
 * scalar property of that schema.
 */
import { parsePointer, RoomcastError } from '@roomcast/core';
import { eventSchemaProblem } from '@roomcast/registry';

/** RFC 6901: "/"-separated tokens; `~` only as `~0` or `~1`. The whole document is not a key. */
const POINTER_RE = /^(\/([^~/]|~[01])*)+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function invalid(pointer: string, message: string, code: 'request.validation_failed' | 'event_type.schema_invalid' = 'request.validation_failed'): RoomcastError {
  return new RoomcastError(code, { detail: `${pointer.slice(1)} ${message}`, errors: [{ pointer, message }] });
}

export const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/**
 * Largest schema (as JSON text) an owner may register. Event schemas run to a few kilobytes;
 * the ingress compiles every schema a publisher names, and a schema's size bounds the work of
 * compiling it and of walking it for its cost (decision 0021).
 */
export const MAX_SCHEMA_BYTES = 64 * 1024;

/**
 * The schema as an object: parsed when it came as a string, compiled once as the ingress would,
 * and with `$schema` written down when absent (draft-07, which is how the ingress reads such a
 * schema anyway; the registry cannot classify a minimal schema like {"type":"object"} without it).
 */
export function parseSchemaInput(value: unknown): Record<string, unknown> {
  let schema = value;
  if (typeof value === 'string') {
    try {
      schema = JSON.parse(value);
    } catch {
      throw invalid('/schema', 'must be a JSON Schema object, or a string holding one; this string is not JSON');
    }
  }
  if (!isObject(schema)) throw invalid('/schema', 'must be a JSON Schema object');
  const bytes = Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(schema));
  if (bytes > MAX_SCHEMA_BYTES) throw invalid('/schema', `is ${bytes} bytes of JSON; at most ${MAX_SCHEMA_BYTES} are accepted`);
  const problem = eventSchemaProblem(schema);
  if (problem) throw invalid(`/schema${problem.pointer}`, `is not a usable JSON Schema: ${problem.message}`, 'event_type.schema_invalid');
  return schema.$schema === undefined ? { $schema: DRAFT_07, ...schema } : schema;
}

// Keywords under which a property may be declared in ways this walk does not follow.
const OPAQUE = ['$ref', '$dynamicRef', 'allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', 'patternProperties', 'dependentSchemas', 'unevaluatedProperties'];
const SCALAR = new Set(['string', 'integer', 'number']);

function typesOf(schema: Record<string, unknown>): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  return undefined;
}

/**
 * Why `pointer` cannot serve as the FIFO key of events valid against `schema`, or undefined
 * when it can. The pointer is followed through `properties` (and `items` for array indices);
 * where the schema declares properties in ways this walk cannot follow (references,
 * combinators, pattern or additional properties), the pointer is accepted as it stands.
 */
export function keyAttributeProblem(schema: Record<string, unknown>, pointer: string): string | undefined {
  if (!POINTER_RE.test(pointer)) return 'must be a JSON pointer such as /patient/id (RFC 6901)';
  const tokens = parsePointer(pointer) ?? [];
  let cur: Record<string, unknown> = schema;
  let at = '';
  for (const token of tokens) {
    const properties = cur.properties;
    if (isObject(properties) && Object.hasOwn(properties, token) && isObject(properties[token])) {
      cur = properties[token];
    } else if (/^(0|[1-9]\d*)$/.test(token) && isObject(cur.items)) {
      cur = cur.items;
    } else if (OPAQUE.some((k) => Object.hasOwn(cur, k)) || isObject(cur.additionalProperties)) {
      return undefined;
    } else {
      return `names no property of the schema ("${token}" is not declared at ${at || 'the top level'})`;
    }
    at += `/${token}`;
  }
  const types = typesOf(cur);
  if (types && !types.some((t) => SCALAR.has(t))) return `must name a string or number property; ${pointer} is ${types.join(' or ')}`;
  return undefined;
}
