import { describe, expect, it } from 'vitest';
import { EVENT_MAX_DEPTH, eventSchemaCompiler, eventSchemaProblem } from './event-schema.ts';
import { schemaCost } from './schema-cost.ts';

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

describe('eventSchemaCompiler', () => {
  it('runs patterns on a linear-time engine: a backtracking pattern over 65 536 characters finishes at once', () => {
    const validate = eventSchemaCompiler().compile({ type: 'string', pattern: '^(a+)+$' });
    const hostile = `${'a'.repeat(65_536)}!`;
    const { value, ms } = timed(() => validate(hostile));
    expect(value).toBe(false);
    expect(validate('aaaa')).toBe(true);
    // A backtracking engine needs 2^65536 steps here; 0.12 s at 24 characters was the finding.
    expect(ms).toBeLessThan(50);
  });

  it('keeps ECMAScript pattern meaning for the usual constructs (classes, anchors, case-insensitive, unicode)', () => {
    const validate = eventSchemaCompiler().compile({ type: 'object', properties: { id: { type: 'string', pattern: '^[A-Z]{2}-\\d{4}$' }, name: { type: 'string', pattern: 'é' } }, patternProperties: { '^x-': { type: 'integer' } } });
    expect(validate({ id: 'AB-1234', name: 'René', 'x-n': 1 })).toBe(true);
    expect(validate({ id: 'ab-1234' })).toBe(false);
    expect(validate({ 'x-n': 'one' })).toBe(false);
    // Each pattern keeps its own program, also across schemas compiled by one compiler.
    const compiler = eventSchemaCompiler();
    const digits = compiler.compile({ type: 'string', pattern: '^\\d+$' });
    const letters = compiler.compile({ type: 'string', pattern: '^[a-z]+$' });
    expect([digits('123'), digits('abc'), letters('abc'), letters('123')]).toEqual([true, false, true, false]);
  });

  it('checks uniqueItems in linear time, and still finds duplicates whatever their key order', () => {
    const validate = eventSchemaCompiler().compile({ type: 'array', uniqueItems: true });
    const items = Array.from({ length: 8000 }, (_, i) => ({ id: i, nested: { a: [i, 'x'], b: null } }));
    const { value, ms } = timed(() => validate(items));
    expect(value).toBe(true);
    expect(ms).toBeLessThan(200);
    expect(validate([{ a: 1, b: 2 }, { b: 2, a: 1 }])).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'uniqueItems', params: { i: 0, j: 1 } });
    expect(validate([1, '1', [1], { 1: 1 }])).toBe(true);
  });
});

describe('eventSchemaProblem', () => {
  it('accepts ordinary schemas', () => {
    expect(eventSchemaProblem({ type: 'object', properties: { a: { type: 'string', pattern: '^[a-z]+$', format: 'email' } }, required: ['a'] })).toBeUndefined();
  });

  it('refuses a pattern the linear-time engine cannot run (backreference, lookahead), with its pointer', () => {
    const back = eventSchemaProblem({ type: 'object', properties: { name: { type: 'string', pattern: '^(a)\\1$' } } });
    expect(back?.pointer).toBe('/properties/name/pattern');
    expect(back?.message).toMatch(/linear-time/);
    const ahead = eventSchemaProblem({ type: 'object', patternProperties: { '^(?=x)': { type: 'string' } } });
    expect(ahead?.pointer).toMatch(/^\/patternProperties/);
  });

  it('refuses a $ref cycle that never descends into the value', () => {
    const problem = eventSchemaProblem({ $ref: '#/definitions/a', definitions: { a: { $ref: '#/definitions/b' }, b: { allOf: [{ $ref: '#/definitions/a' }] } } });
    expect(problem?.message).toMatch(/never end/);
  });

  it('accepts recursion that descends (a tree), whose cost is bounded by the depth limit', () => {
    const tree = { $ref: '#/definitions/node', definitions: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/node' } } } } } };
    expect(eventSchemaProblem(tree)).toBeUndefined();
    expect(schemaCost(tree, EVENT_MAX_DEPTH).unfolded).toBeLessThan(1000);
  });
});

describe('schemaCost', () => {
  it('counts a flat schema as the number of its subschemas', () => {
    expect(schemaCost({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } }, 32).unfolded).toBe(3);
    expect(schemaCost(true, 32).unfolded).toBe(1);
  });

  it('grows exponentially for two recursive branches over the same value, so such schemas leave the event loop', () => {
    const branchy = (branches: number) => ({
      $ref: '#/definitions/n',
      definitions: { n: { anyOf: Array.from({ length: branches }, () => ({ type: 'array', items: { $ref: '#/definitions/n' } })) } },
    });
    const one = schemaCost(branchy(1), 32).unfolded;
    const two = schemaCost(branchy(2), 32).unfolded;
    expect(one).toBeLessThan(200);
    expect(two).toBeGreaterThan(2 ** 31);
    expect(schemaCost(branchy(2), 10).unfolded).toBeLessThan(two);
  });

  it('counts an unresolvable reference as unbounded', () => {
    expect(schemaCost({ $ref: 'https://example.org/remote.json' }, 32).unfolded).toBe(Number.POSITIVE_INFINITY);
  });
});
