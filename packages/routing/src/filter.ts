/**
 * Content filters of subscriptions (decision 0028): a small JSON language over an event's
 * attributes and payload fields, parsed and bounded here (pure, unit-tested in filter.test.ts).
 *
 *   filter := {"all": [filter, …]} | {"any": [filter, …]} | {"not": filter}
 *           | {"eq": {path: scalar}} | {"in": {path: [scalar, …]}}
 *           | {"prefix": {path: string}} | {"suffix": {path: string}}
 *           | {"gt"|"gte"|"lt"|"lte": {path: number}} | {"exists": path}
 *   path   := an attribute (id, type, key, publisher, classification, priority, time,
 *             schemaVersion) | "data.<field>[.<field>…]" | a JSON pointer "/data/<field>/…"
 *
 * Hostile input is bounded before it costs anything: the walk refuses a level deeper than
 * `depth` before descending, a list longer than its bound before iterating, and stops counting
 * at `nodes`. No regular expression is ever built from tenant input; names that could reach an
 * object's prototype (`__proto__`, `constructor`, `prototype`) are refused. A parsed filter is a
 * tree of closures evaluated in O(operators × path depth) per event (`in` uses a Set).
 */
import type { FieldError } from '@roomcast/core';
import { escapePointerToken, parsePointer } from '@roomcast/core';

/** The bounds of one filter (README, decision 0028). */
export const FILTER_BOUNDS = {
  /** UTF-8 bytes of the filter's JSON text. */
  bytes: 4096,
  /** Levels of all / any / not (a lone comparison is level 1). */
  depth: 8,
  /** Operators in the whole filter. */
  nodes: 64,
  /** Members of one all / any. */
  branches: 16,
  /** Values of one `in`. */
  listItems: 64,
  /** Characters of one string value. */
  stringLength: 256,
  /** Characters of one path. */
  pathLength: 256,
  /** Fields below `data` in one path. */
  pathSegments: 16,
  /** Errors reported for one filter: the answer stays small whatever was sent. */
  errors: 20,
} as const;

export const FILTER_ATTRIBUTES = ['id', 'type', 'key', 'publisher', 'classification', 'priority', 'time', 'schemaVersion'] as const;
export type FilterAttribute = (typeof FILTER_ATTRIBUTES)[number];

const COMPARISONS = ['eq', 'in', 'prefix', 'suffix', 'gt', 'gte', 'lt', 'lte'] as const;
const OPERATORS = ['all', 'any', 'not', 'exists', ...COMPARISONS] as const;
const FORBIDDEN_FIELDS = new Set(['__proto__', 'constructor', 'prototype']);

/** What a filter reads of one event; `data` is the parsed payload (only needed when `readsData`). */
export interface FilterEvent {
  id: string;
  type: string;
  key: string | null;
  publisher: string;
  classification: string;
  priority: string;
  time: string;
  schemaVersion?: number | undefined;
  data?: unknown;
}

export interface EventFilter {
  /** Whether any clause reads the payload (otherwise the payload is never parsed or decrypted). */
  readonly readsData: boolean;
  matches(event: FilterEvent): boolean;
}

export type FilterParse = { ok: true; filter: EventFilter } | { ok: false; errors: FieldError[] };

type Scalar = string | number | boolean | null;
type Test = (e: FilterEvent) => boolean;
type Field = { name: string; index: number | undefined };
type Path = { attribute: FilterAttribute; fields?: undefined } | { attribute?: undefined; fields: Field[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar => v === null || typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const ATTRIBUTES = new Set<string>(FILTER_ATTRIBUTES);
const INDEX = /^(0|[1-9][0-9]{0,8})$/;

class Parser {
  readonly errors: FieldError[] = [];
  nodes = 0;
  readsData = false;

  fail(pointer: string, message: string): undefined {
    if (this.errors.length < FILTER_BOUNDS.errors) this.errors.push({ pointer, message });
    return undefined;
  }

  node(v: unknown, at: string, depth: number): Test | undefined {
    if (depth > FILTER_BOUNDS.depth) return this.fail(at, `nests deeper than ${FILTER_BOUNDS.depth} levels`);
    if (++this.nodes > FILTER_BOUNDS.nodes) return this.fail(at, `is one operator more than the ${FILTER_BOUNDS.nodes} a filter may hold`);
    if (!isObject(v)) return this.fail(at, `must be an object with one operator (${OPERATORS.join(', ')})`);
    const keys = Object.keys(v);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) return this.fail(at, `must have exactly one operator (${OPERATORS.join(', ')}), not ${keys.length}`);
    const arg = v[op];
    const here = `${at}/${escapePointerToken(op)}`;
    switch (op) {
      case 'all':
      case 'any':
        return this.branches(op, arg, here, depth);
      case 'not': {
        const inner = this.node(arg, here, depth + 1);
        return inner && ((e) => !inner(e));
      }
      case 'exists': {
        const path = typeof arg === 'string' ? this.path(arg, here) : this.fail(here, 'must be a path (string)');
        if (!path) return undefined;
        return (e) => resolve(e, path) !== undefined;
      }
      default:
        if ((COMPARISONS as readonly string[]).includes(op)) return this.comparison(op as (typeof COMPARISONS)[number], arg, here);
        return this.fail(here, `is not an operator (${OPERATORS.join(', ')})`);
    }
  }

  branches(op: 'all' | 'any', arg: unknown, at: string, depth: number): Test | undefined {
    if (!Array.isArray(arg) || arg.length === 0) return this.fail(at, 'must be a non-empty array of filters');
    if (arg.length > FILTER_BOUNDS.branches) return this.fail(at, `must have at most ${FILTER_BOUNDS.branches} members`);
    const tests: Test[] = [];
    for (const [i, member] of arg.entries()) {
      const t = this.node(member, `${at}/${i}`, depth + 1);
      if (t) tests.push(t);
      if (this.nodes > FILTER_BOUNDS.nodes) break;
    }
    if (tests.length !== arg.length) return undefined;
    return op === 'all' ? (e) => tests.every((t) => t(e)) : (e) => tests.some((t) => t(e));
  }

  comparison(op: (typeof COMPARISONS)[number], arg: unknown, at: string): Test | undefined {
    if (!isObject(arg)) return this.fail(at, 'must be an object naming one path');
    const keys = Object.keys(arg);
    const name = keys[0];
    if (keys.length !== 1 || name === undefined) return this.fail(at, `must name exactly one path, not ${keys.length}`);
    const valueAt = `${at}/${escapePointerToken(name)}`;
    const path = this.path(name, at);
    const value = arg[name];
    const test = this.operand(op, value, valueAt);
    return path && test && ((e) => test(resolve(e, path)));
  }

  operand(op: (typeof COMPARISONS)[number], value: unknown, at: string): ((found: unknown) => boolean) | undefined {
    switch (op) {
      case 'eq':
        return this.scalar(value, at) ? (found) => found === value : undefined;
      case 'in': {
        if (!Array.isArray(value) || value.length === 0) return this.fail(at, 'must be a non-empty array of strings, numbers, booleans or null');
        if (value.length > FILTER_BOUNDS.listItems) return this.fail(at, `must have at most ${FILTER_BOUNDS.listItems} values`);
        const ok = value.map((v, i) => this.scalar(v, `${at}/${i}`)).every(Boolean);
        if (!ok) return undefined;
        const set = new Set<unknown>(value);
        return (found) => isScalar(found) && set.has(found);
      }
      case 'prefix':
      case 'suffix': {
        if (typeof value !== 'string' || value.length === 0) return this.fail(at, 'must be a non-empty string');
        if (value.length > FILTER_BOUNDS.stringLength) return this.fail(at, `must have at most ${FILTER_BOUNDS.stringLength} characters`);
        return op === 'prefix' ? (found) => typeof found === 'string' && found.startsWith(value) : (found) => typeof found === 'string' && found.endsWith(value);
      }
      default: {
        if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(at, 'must be a number');
        const n = value;
        const cmp = { gt: (x: number) => x > n, gte: (x: number) => x >= n, lt: (x: number) => x < n, lte: (x: number) => x <= n }[op];
        return (found) => typeof found === 'number' && cmp(found);
      }
    }
  }

  scalar(v: unknown, at: string): boolean {
    if (!isScalar(v)) return this.fail(at, 'must be a string, a finite number, a boolean or null') ?? false;
    if (typeof v === 'string' && v.length > FILTER_BOUNDS.stringLength) return this.fail(at, `must have at most ${FILTER_BOUNDS.stringLength} characters`) ?? false;
    return true;
  }

  /** A path, reported at `at` (the pointer of the object whose key it is, or of the string). */
  path(text: string, at: string): Path | undefined {
    if (text.length === 0 || text.length > FILTER_BOUNDS.pathLength) return this.fail(at, `path must have 1 to ${FILTER_BOUNDS.pathLength} characters`);
    const tokens = text.startsWith('/') ? parsePointer(text) : text.split('.');
    const [head, ...rest] = tokens ?? [];
    if (head !== undefined && ATTRIBUTES.has(head) && rest.length === 0) return { attribute: head as FilterAttribute };
    if (head !== 'data' || rest.length === 0) {
      return this.fail(at, `path "${text.slice(0, 64)}" must be an attribute (${FILTER_ATTRIBUTES.join(', ')}) or a payload field (data.<field>… or /data/<field>…)`);
    }
    if (rest.length > FILTER_BOUNDS.pathSegments) return this.fail(at, `path must name at most ${FILTER_BOUNDS.pathSegments} fields below data`);
    for (const f of rest) {
      if (f.length === 0) return this.fail(at, 'path has an empty field name');
      if (FORBIDDEN_FIELDS.has(f)) return this.fail(at, `path may not name "${f}"`);
    }
    this.readsData = true;
    return { fields: rest.map((name) => ({ name, index: INDEX.test(name) ? Number(name) : undefined })) };
  }
}

/** The value a path names in the event: own properties only; undefined when it is absent. */
function resolve(e: FilterEvent, p: Path): unknown {
  if (p.attribute !== undefined) return e[p.attribute] ?? undefined;
  let cur: unknown = e.data;
  for (const f of p.fields) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    if (Array.isArray(cur)) {
      if (f.index === undefined) return undefined;
      cur = cur[f.index];
    } else {
      if (!Object.hasOwn(cur, f.name)) return undefined;
      cur = (cur as Record<string, unknown>)[f.name];
    }
  }
  return cur;
}

/**
 * Parses and bounds a filter as a subscriber sent it; `at` is the pointer of the filter in the
 * request (errors carry pointers below it).
 */
export function parseFilter(input: unknown, at = ''): FilterParse {
  const p = new Parser();
  const test = p.node(input, at, 1);
  if (!test || p.errors.length > 0) return { ok: false, errors: p.errors.length > 0 ? p.errors : [{ pointer: at, message: 'is not a valid filter' }] };
  // Measured after the walk: the walk bounded depth and width, so this serialises little.
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (bytes > FILTER_BOUNDS.bytes) return { ok: false, errors: [{ pointer: at, message: `is ${bytes} bytes of JSON; at most ${FILTER_BOUNDS.bytes}` }] };
  return { ok: true, filter: { readsData: p.readsData, matches: test } };
}

const compiled = new WeakMap<object, EventFilter | null>();

/**
 * The subscription's filter, parsed once per routing-contract generation (each generation's
 * subscription objects are new, so the cache follows them and forgets old ones); undefined when
 * it has none. A filter this version cannot parse (written by a newer control plane) lets every
 * event through: a filter narrows what a subscriber asked for, it never guards access.
 */
export function subscriptionFilter(sub: { filter?: unknown }, onInvalid?: (errors: FieldError[]) => void): EventFilter | undefined {
  if (sub.filter === undefined || sub.filter === null) return undefined;
  let f = compiled.get(sub);
  if (f === undefined) {
    const parsed = parseFilter(sub.filter, '/filter');
    if (!parsed.ok) onInvalid?.(parsed.errors);
    f = parsed.ok ? parsed.filter : null;
    compiled.set(sub, f);
  }
  return f ?? undefined;
}
