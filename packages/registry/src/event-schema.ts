/**
 * The one way event schemas are compiled — by the control plane when an owner registers one
 * (eventSchemaProblem) and by the ingress that validates payloads with it — so a schema accepted
 * at registration behaves the same at publish. Draft-07, or 2020-12 when `$schema` says so;
 * standard formats; `$id` ignored (registry ids are global, `$id`s would collide). Hardened
 * against schemas written to burn CPU (decision 0021):
 *
 * - `pattern` and `patternProperties` run on RE2 (re2js): matching is linear in the string's
 *   length, so `^(a+)+$` costs what `^a+$` does. A pattern RE2 cannot run (backreferences,
 *   lookaround) is refused at registration, with its pointer.
 * - `uniqueItems` is checked with a set of canonical JSON texts, linear in the array's size,
 *   instead of comparing every pair of items.
 * - the schema's unfolded cost (schema-cost.ts) is computed with it, and a `$ref` cycle that
 *   never descends into the value is refused.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { schemaCost } from './schema-cost.ts';

// ajv-formats is CommonJS with a default export; under ESM its callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as <T extends Ajv>(ajv: T) => T;

/** Deepest payload nesting the ingress lets through (payload-checks.ts): the cost bound's horizon. */
export const EVENT_MAX_DEPTH = 32;

/** ECMAScript pattern → RE2 program; throws (with RE2's reason) for what RE2 cannot run. */
function re2Engine(pattern: string, flags: string): { test(s: string): boolean; toString(): string } {
  const translated = RE2JS.translateRegExp(pattern);
  const re = RE2JS.compile(translated, flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
  // Ajv keys its cache of compiled patterns by the engine object's toString(): without a distinct
  // one, every pattern of an Ajv instance would share the first pattern's program.
  const source = `/${pattern}/${flags}`;
  return { test: (s: string) => re.test(s), toString: () => source };
}

/** JSON text with object keys sorted: equal JSON values (as JSON Schema defines it) give equal texts. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

type KeywordValidate = ((schema: unknown, data: unknown) => boolean) & { errors?: Partial<ErrorObject>[] };

const uniqueItems: KeywordValidate = function uniqueItemsCheck(schema: unknown, data: unknown): boolean {
  if (schema !== true || !Array.isArray(data)) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const text = canonicalJson(data[i]);
    const j = seen.get(text);
    if (j !== undefined) {
      uniqueItems.errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`, params: { i: j, j: i } }];
      return false;
    }
    seen.set(text, i);
  }
  return true;
};

function harden<T extends Ajv>(ajv: T): T {
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: uniqueItems });
  return addFormats(ajv);
}

export interface EventSchemaCompiler {
  compile(schema: Record<string, unknown>): ValidateFunction;
}

/**
 * A compiler for event schemas. Ajv caches what it compiles: keep one per long-lived cache of
 * trusted ids (the ingress), a fresh one per check of arbitrary input (registration).
 */
export function eventSchemaCompiler(): EventSchemaCompiler {
  const options = { allErrors: true, strict: false, code: { regExp: re2Engine as never } };
  let draft7: Ajv | undefined;
  let draft2020: Ajv | undefined;
  return {
    compile(schema) {
      const { $id: _ignored, ...anonymous } = schema;
      const is2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
      if (is2020 && !draft2020) draft2020 = harden(new Ajv2020(options) as unknown as Ajv);
      if (!is2020 && !draft7) draft7 = harden(new Ajv(options));
      const ajv = (is2020 ? draft2020 : draft7) as Ajv;
      return ajv.compile(anonymous);
    },
  };
}

export interface SchemaProblem {
  /** JSON pointer inside the schema, when the problem has a place. */
  pointer: string;
  message: string;
}

/** Undefined when the schema can validate events; otherwise why not. */
export function eventSchemaProblem(schema: Record<string, unknown>): SchemaProblem | undefined {
  const cost = schemaCost(schema, EVENT_MAX_DEPTH);
  if (cost.problem) return cost.problem;
  try {
    eventSchemaCompiler().compile(schema);
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    // RE2's refusals name the construct; say where the pattern is.
    if (/error parsing regexp/.test(message)) {
      return { pointer: patternPointer(schema) ?? '', message: `pattern not supported (patterns run on a linear-time engine: no backreferences or lookaround): ${message.slice(0, 300)}` };
    }
    return { pointer: '', message: message.slice(0, 500) };
  }
}

/** The pointer of the first pattern (or patternProperties name) RE2 refuses. */
function patternPointer(schema: unknown): string | undefined {
  const stack: Array<{ node: unknown; pointer: string }> = [{ node: schema, pointer: '' }];
  const refused = (p: string) => {
    try {
      re2Engine(p, 'u');
      return false;
    } catch {
      return true;
    }
  };
  const esc = (t: string) => t.replace(/~/g, '~0').replace(/\//g, '~1');
  while (stack.length > 0) {
    const { node, pointer } = stack.pop() as { node: unknown; pointer: string };
    if (typeof node !== 'object' || node === null) continue;
    const n = node as Record<string, unknown>;
    if (!Array.isArray(node)) {
      if (typeof n.pattern === 'string' && refused(n.pattern)) return `${pointer}/pattern`;
      if (typeof n.patternProperties === 'object' && n.patternProperties !== null) {
        for (const p of Object.keys(n.patternProperties)) if (refused(p)) return `${pointer}/patternProperties/${esc(p)}`;
      }
    }
    for (const [k, v] of Object.entries(n)) stack.push({ node: v, pointer: `${pointer}/${esc(k)}` });
  }
  return undefined;
}
