/**
 * How much validation work a JSON Schema can cause per payload value — an upper bound computed
 * from the schema alone, so the ingress can decide before validating whether a payload may be
 * checked on the shared event loop or must go to a worker with a time budget (decision 0021).
 *
 * The schema is unfolded as a validator runs it: applicators on the same value (`$ref`, `allOf`,
 * `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `dependentSchemas`, `dependencies`) add their
 * subschemas' cost at the same depth; applicators on children (`properties`, `items`,
 * `additionalProperties`, `contains`, `propertyNames`, …) add theirs one level deeper; a payload
 * deeper than `maxDepth` is refused before validation, so deeper levels cost nothing. The result,
 * `unfolded`, bounds how many subschemas apply to the values of one payload: a validation costs
 * at most about `unfolded × (values + characters)`. Two recursive branches over nested data
 * double it per level (2^32 at depth 32) — exactly the schemas that must not run inline.
 *
 * A `$ref` cycle that returns to the same schema without descending into the data never ends
 * (`problem`): such a schema is refused at registration. References the walk cannot resolve
 * (remote, or by `$id`) count as unbounded. Pure; linear in schema size × maxDepth.
 */

export interface SchemaCost {
  /** Upper bound of subschema applications per payload value (capped at CAP; Infinity when unbounded). */
  unfolded: number;
  /** Set when the schema can never finish validating some payload. */
  problem?: { pointer: string; message: string };
}

const CAP = 1e15;

/** Keywords whose subschemas apply to the same value. */
const SAME_ONE = ['not', 'if', 'then', 'else'] as const;
const SAME_MANY = ['allOf', 'anyOf', 'oneOf'] as const;
const SAME_MAP = ['dependentSchemas'] as const;
/** Keywords whose subschemas apply to child values (members, items, property names). */
const CHILD_ONE = ['additionalProperties', 'unevaluatedProperties', 'propertyNames', 'additionalItems', 'contains', 'unevaluatedItems'] as const;
const CHILD_MAP = ['properties', 'patternProperties'] as const;
const CHILD_MANY = ['prefixItems'] as const;

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unescapeToken(t: string): string {
  return decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~');
}

export function schemaCost(schema: Json, maxDepth: number): SchemaCost {
  const root = schema;
  const anchors = new Map<string, Json>();
  const collect = (node: Json): void => {
    const stack = [node];
    const seen = new Set<Json>();
    while (stack.length > 0) {
      const n = stack.pop();
      if (typeof n !== 'object' || n === null || seen.has(n)) continue;
      seen.add(n);
      if (isObject(n)) {
        for (const k of ['$anchor', '$dynamicAnchor']) if (typeof n[k] === 'string') anchors.set(n[k] as string, n);
        if (n.$recursiveAnchor === true) anchors.set('', n);
      }
      for (const v of Object.values(n as object)) stack.push(v);
    }
  };
  collect(root);

  const resolve = (ref: string): Json | undefined => {
    if (ref === '#') return root;
    if (ref.startsWith('#/')) {
      let cur: Json = root;
      for (const token of ref.slice(2).split('/')) {
        const key = unescapeToken(token);
        if (Array.isArray(cur)) cur = cur[Number(key)];
        else if (isObject(cur)) cur = cur[key];
        else return undefined;
        if (cur === undefined) return undefined;
      }
      return cur;
    }
    if (ref.startsWith('#')) return anchors.get(ref.slice(1));
    return undefined;
  };

  const memo = new Map<Json, Map<number, number>>();
  const active = new Map<Json, Set<number>>();
  let problem: SchemaCost['problem'];

  const add = (a: number, b: number) => Math.min(CAP, a + b);

  // Recursion depth is bounded: each nested call either descends one data level (≤ maxDepth)
  // or follows a same-value applicator, which the `active` set stops from cycling.
  const cost = (node: Json, depth: number, pointer: string): number => {
    if (depth > maxDepth) return 0;
    if (!isObject(node)) return 1; // true, false (or junk the compiler refuses anyway)
    const done = memo.get(node)?.get(depth);
    if (done !== undefined) return done;
    const here = active.get(node) ?? new Set<number>();
    if (here.has(depth)) {
      problem ??= { pointer, message: 'a $ref cycle returns to this schema without descending into the value: validation would never end' };
      return Number.POSITIVE_INFINITY;
    }
    here.add(depth);
    active.set(node, here);
    let total = 1;
    const same = (sub: Json, at: string) => {
      total = add(total, cost(sub, depth, at));
    };
    const child = (sub: Json, at: string) => {
      total = add(total, cost(sub, depth + 1, at));
    };
    for (const k of ['$ref', '$dynamicRef', '$recursiveRef']) {
      const ref = node[k];
      if (typeof ref !== 'string') continue;
      const target = k === '$recursiveRef' ? (anchors.get('') ?? root) : resolve(ref);
      if (target === undefined) total = Number.POSITIVE_INFINITY;
      else same(target, `${pointer}/${k}`);
    }
    for (const k of SAME_ONE) if (k in node) same(node[k], `${pointer}/${k}`);
    for (const k of SAME_MANY) if (Array.isArray(node[k])) for (const [i, s] of (node[k] as Json[]).entries()) same(s, `${pointer}/${k}/${i}`);
    for (const k of SAME_MAP) if (isObject(node[k])) for (const [name, s] of Object.entries(node[k] as object)) same(s, `${pointer}/${k}/${name}`);
    // draft-07 `dependencies`: a schema (same value) or a list of names (no subschema).
    if (isObject(node.dependencies)) for (const [name, s] of Object.entries(node.dependencies)) if (!Array.isArray(s)) same(s, `${pointer}/dependencies/${name}`);
    for (const k of CHILD_ONE) if (k in node) child(node[k], `${pointer}/${k}`);
    for (const k of CHILD_MAP) if (isObject(node[k])) for (const [name, s] of Object.entries(node[k] as object)) child(s, `${pointer}/${k}/${name}`);
    for (const k of CHILD_MANY) if (Array.isArray(node[k])) for (const [i, s] of (node[k] as Json[]).entries()) child(s, `${pointer}/${k}/${i}`);
    // `items`: one schema for every item, or (draft-07) a tuple of schemas.
    if (Array.isArray(node.items)) for (const [i, s] of (node.items as Json[]).entries()) child(s, `${pointer}/items/${i}`);
    else if ('items' in node) child(node.items, `${pointer}/items`);
    here.delete(depth);
    const byDepth = memo.get(node) ?? new Map<number, number>();
    byDepth.set(depth, total);
    memo.set(node, byDepth);
    return total;
  };

  const unfolded = cost(root, 1, '');
  return problem ? { unfolded: Number.POSITIVE_INFINITY, problem } : { unfolded };
}
