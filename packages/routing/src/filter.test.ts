import { describe, expect, it } from 'vitest';
import { type EventFilter, FILTER_BOUNDS, type FilterEvent, parseFilter, subscriptionFilter } from './filter.ts';

const event = (data: unknown, over: Partial<FilterEvent> = {}): FilterEvent => ({
  id: 'evt_1',
  type: 'lab.result',
  key: 'p-1',
  publisher: 'DEV/GOV/MOH/lab',
  classification: 'PHI',
  priority: 'NORMAL',
  time: '2026-12-07T10:00:00.000Z',
  schemaVersion: 2,
  data,
  ...over,
});

function compile(f: unknown): EventFilter {
  const r = parseFilter(f, '/options/filter');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.filter;
}

function errorsOf(f: unknown) {
  const r = parseFilter(f, '/options/filter');
  if (r.ok) throw new Error('expected the filter to be refused');
  return r.errors;
}

const nest = (levels: number): unknown => (levels <= 1 ? { exists: 'data.a' } : { not: nest(levels - 1) });

describe('filter evaluation', () => {
  const doc = { status: 'final', region: 'north', n: 5, flag: true, none: null, patient: { id: 'p-1' }, items: [{ code: 'A1' }, { code: 'B2' }] };

  it.each([
    [{ eq: { 'data.status': 'final' } }, true],
    [{ eq: { 'data.status': 'draft' } }, false],
    [{ eq: { 'data.n': 5 } }, true],
    [{ eq: { 'data.n': '5' } }, false],
    [{ eq: { 'data.flag': true } }, true],
    [{ eq: { 'data.none': null } }, true],
    [{ eq: { 'data.missing': null } }, false],
    [{ eq: { 'data.patient': 'p-1' } }, false],
    [{ eq: { '/data/patient/id': 'p-1' } }, true],
    [{ eq: { 'data.items.1.code': 'B2' } }, true],
    [{ eq: { 'data.items.x': 'B2' } }, false],
    [{ in: { 'data.region': ['north', 'south'] } }, true],
    [{ in: { 'data.region': ['east'] } }, false],
    [{ in: { 'data.n': [4, 5] } }, true],
    [{ in: { 'data.patient': ['p-1'] } }, false],
    [{ prefix: { type: 'lab.' } }, true],
    [{ prefix: { type: 'rad.' } }, false],
    [{ prefix: { 'data.n': '5' } }, false],
    [{ suffix: { 'data.items.0.code': '1' } }, true],
    [{ gt: { 'data.n': 4 } }, true],
    [{ gt: { 'data.n': 5 } }, false],
    [{ gte: { 'data.n': 5 } }, true],
    [{ lt: { 'data.n': 5 } }, false],
    [{ lte: { 'data.n': 5 } }, true],
    [{ gt: { 'data.status': 1 } }, false],
    [{ lt: { 'data.missing': 10 } }, false],
    [{ gte: { schemaVersion: 2 } }, true],
    [{ exists: 'data.patient.id' }, true],
    [{ exists: 'data.none' }, true],
    [{ exists: 'data.patient.name' }, false],
    [{ exists: 'data.status.length' }, false],
    [{ not: { eq: { 'data.status': 'final' } } }, false],
    [{ not: { eq: { 'data.missing': 'x' } } }, true],
    [{ all: [{ eq: { 'data.status': 'final' } }, { in: { 'data.region': ['north'] } }] }, true],
    [{ all: [{ eq: { 'data.status': 'final' } }, { in: { 'data.region': ['south'] } }] }, false],
    [{ any: [{ eq: { 'data.status': 'draft' } }, { in: { 'data.region': ['north'] } }] }, true],
    [{ any: [{ eq: { 'data.status': 'draft' } }, { exists: 'data.nope' }] }, false],
    [{ eq: { publisher: 'DEV/GOV/MOH/lab' } }, true],
    [{ eq: { classification: 'PHI' } }, true],
    [{ eq: { priority: 'HIGH' } }, false],
    [{ eq: { key: 'p-1' } }, true],
    [{ prefix: { time: '2026-12-07' } }, true],
    [{ eq: { id: 'evt_1' } }, true],
  ])('%j → %s', (f, expected) => {
    expect(compile(f).matches(event(doc))).toBe(expected);
  });

  it('treats a missing key as absent and a non-object payload as having no fields', () => {
    expect(compile({ exists: 'key' }).matches(event(doc, { key: null }))).toBe(false);
    expect(compile({ exists: 'data.a' }).matches(event('text'))).toBe(false);
    expect(compile({ exists: 'data.0' }).matches(event(['x']))).toBe(true);
    expect(compile({ exists: 'schemaVersion' }).matches(event(doc, { schemaVersion: undefined }))).toBe(false);
  });

  it('walks own properties only: nothing inherited is found', () => {
    const f = compile({ exists: 'data.toString' });
    expect(f.matches(event({}))).toBe(false);
    expect(compile({ exists: 'data.a.hasOwnProperty' }).matches(event({ a: {} }))).toBe(false);
    // A payload that carries "__proto__" as JSON still has it as an own, inert property.
    expect(compile({ eq: { 'data.x': 1 } }).matches(event(JSON.parse('{"__proto__":{"x":1}}')))).toBe(false);
  });

  it('says whether it reads the payload', () => {
    expect(compile({ eq: { type: 'lab.result' } }).readsData).toBe(false);
    expect(compile({ all: [{ eq: { type: 'x' } }, { exists: 'data.a' }] }).readsData).toBe(true);
  });
});

describe('filter validation', () => {
  it('points at the operator, the path and the value', () => {
    expect(errorsOf({ all: [{ eq: { 'data.a': 1 } }, { eq: { 'data.b': { x: 1 } } }] })).toEqual([
      { pointer: '/options/filter/all/1/eq/data.b', message: expect.stringMatching(/string, a finite number/) },
    ]);
    expect(errorsOf({ all: [{ eq: { 'data.a': 1 } }, { eq: { nope: 1 } }] })).toEqual([{ pointer: '/options/filter/all/1/eq', message: expect.stringMatching(/attribute/) }]);
    expect(errorsOf({ any: [{ in: { 'data.r': ['a', {}] } }] })).toEqual([{ pointer: '/options/filter/any/0/in/data.r/1', message: expect.any(String) }]);
    expect(errorsOf({ eq: { '/data/a~1b': [] } })[0]?.pointer).toBe('/options/filter/eq/~1data~1a~01b');
  });

  it.each([
    [[], '/options/filter', /one operator/],
    ['eq', '/options/filter', /one operator/],
    [{}, '/options/filter', /exactly one operator/],
    [{ eq: { 'data.a': 1 }, in: { 'data.b': [1] } }, '/options/filter', /exactly one operator/],
    [{ regex: { 'data.a': '.*' } }, '/options/filter/regex', /not an operator/],
    [{ all: [] }, '/options/filter/all', /non-empty array/],
    [{ any: {} }, '/options/filter/any', /non-empty array/],
    [{ eq: {} }, '/options/filter/eq', /exactly one path/],
    [{ eq: { 'data.a': 1, 'data.b': 2 } }, '/options/filter/eq', /exactly one path/],
    [{ eq: 'data.a' }, '/options/filter/eq', /object naming one path/],
    [{ in: { 'data.a': [] } }, '/options/filter/in/data.a', /non-empty array/],
    [{ in: { 'data.a': 'x' } }, '/options/filter/in/data.a', /non-empty array/],
    [{ prefix: { 'data.a': '' } }, '/options/filter/prefix/data.a', /non-empty string/],
    [{ prefix: { 'data.a': 3 } }, '/options/filter/prefix/data.a', /non-empty string/],
    [{ gt: { 'data.a': '3' } }, '/options/filter/gt/data.a', /number/],
    [{ exists: 3 }, '/options/filter/exists', /path/],
    [{ exists: 'data' }, '/options/filter/exists', /payload field/],
    [{ exists: 'payload.a' }, '/options/filter/exists', /attribute/],
    [{ exists: 'type.name' }, '/options/filter/exists', /attribute/],
    [{ exists: 'data..a' }, '/options/filter/exists', /empty field/],
    [{ exists: '' }, '/options/filter/exists', /1 to 256/],
  ])('%j is refused at %s', (f, pointer, message) => {
    const errors = errorsOf(f);
    expect(errors[0]).toEqual({ pointer, message: expect.stringMatching(message) });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses paths through %s', (name) => {
    expect(errorsOf({ exists: `data.${name}.polluted` })).toEqual([{ pointer: '/options/filter/exists', message: `path may not name "${name}"` }]);
    expect(errorsOf({ eq: { [`/data/a/${name}`]: 1 } })[0]?.pointer).toBe('/options/filter/eq');
    // JSON.parse makes "__proto__" an own key of the operator object: still one unknown operator.
    expect(errorsOf(JSON.parse(`{"${name}":{"exists":"data.a"}}`))[0]?.message).toMatch(/not an operator/);
  });

  it('bounds the depth without descending further', () => {
    expect(parseFilter(nest(FILTER_BOUNDS.depth)).ok).toBe(true);
    const deep = errorsOf(nest(FILTER_BOUNDS.depth + 1));
    expect(deep).toEqual([{ pointer: `/options/filter${'/not'.repeat(FILTER_BOUNDS.depth)}`, message: expect.stringMatching(/deeper than 8/) }]);
    // Ten thousand levels cost no more than nine: the walk stops at the bound.
    let hostile: unknown = { exists: 'data.a' };
    for (let i = 0; i < 10_000; i++) hostile = { not: hostile };
    expect(errorsOf(hostile)).toHaveLength(1);
  });

  it('bounds branches, list items, strings, paths and operators', () => {
    const leaf = { exists: 'data.a' };
    expect(parseFilter({ any: Array(FILTER_BOUNDS.branches).fill(leaf) }).ok).toBe(true);
    expect(errorsOf({ any: Array(FILTER_BOUNDS.branches + 1).fill(leaf) })[0]?.pointer).toBe('/options/filter/any');
    expect(errorsOf({ any: Array(1_000_000).fill(leaf) })).toHaveLength(1);
    expect(parseFilter({ in: { 'data.a': Array.from({ length: FILTER_BOUNDS.listItems }, (_, i) => i) } }).ok).toBe(true);
    expect(errorsOf({ in: { 'data.a': Array.from({ length: FILTER_BOUNDS.listItems + 1 }, (_, i) => i) } })[0]?.pointer).toBe('/options/filter/in/data.a');
    expect(parseFilter({ eq: { 'data.a': 'x'.repeat(FILTER_BOUNDS.stringLength) } }).ok).toBe(true);
    expect(errorsOf({ eq: { 'data.a': 'x'.repeat(FILTER_BOUNDS.stringLength + 1) } })[0]?.message).toMatch(/at most 256 characters/);
    expect(errorsOf({ in: { 'data.a': ['x'.repeat(FILTER_BOUNDS.stringLength + 1)] } })[0]?.pointer).toBe('/options/filter/in/data.a/0');
    expect(errorsOf({ prefix: { 'data.a': 'x'.repeat(FILTER_BOUNDS.stringLength + 1) } })[0]?.pointer).toBe('/options/filter/prefix/data.a');
    expect(parseFilter({ exists: `data${'.a'.repeat(FILTER_BOUNDS.pathSegments)}` }).ok).toBe(true);
    expect(errorsOf({ exists: `data${'.a'.repeat(FILTER_BOUNDS.pathSegments + 1)}` })[0]?.message).toMatch(/at most 16 fields/);
    expect(errorsOf({ exists: `data.${'a'.repeat(FILTER_BOUNDS.pathLength)}` })[0]?.message).toMatch(/1 to 256/);
    // 4 × 16 = 64 leaves plus 5 groups: one operator over the bound, wherever it falls.
    const wide = { all: Array.from({ length: 4 }, () => ({ any: Array(16).fill(leaf) })) };
    expect(errorsOf(wide)).toEqual([{ pointer: '/options/filter/all/3/any/11', message: expect.stringMatching(/64/) }]);
  });

  it('bounds the JSON text', () => {
    const value = 'x'.repeat(250);
    const big = { any: Array.from({ length: 16 }, () => ({ in: { 'data.a': [value, `${value}y`] } })) };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(FILTER_BOUNDS.bytes);
    expect(errorsOf(big)).toEqual([{ pointer: '/options/filter', message: expect.stringMatching(/bytes of JSON; at most 4096/) }]);
  });

  it('reports at most 20 errors', () => {
    expect(errorsOf({ any: Array(16).fill({ in: { 'data.a': [{}, {}, {}] } }) })).toHaveLength(FILTER_BOUNDS.errors);
  });
});

describe('subscriptionFilter', () => {
  it('parses once per subscription object and lets everything through when it cannot parse', () => {
    const sub = { id: 'sub_1', filter: { eq: { 'data.a': 1 } } };
    const first = subscriptionFilter(sub);
    expect(first).toBeDefined();
    expect(subscriptionFilter(sub)).toBe(first);
    expect(subscriptionFilter({})).toBeUndefined();
    const seen: unknown[] = [];
    const newer = { filter: { newer: {} } };
    expect(subscriptionFilter(newer, (e) => seen.push(e))).toBeUndefined();
    expect(subscriptionFilter(newer, (e) => seen.push(e))).toBeUndefined();
    expect(seen).toHaveLength(1);
  });
});
