import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { checkPayload, findPayloadProblems, MAX_FINDINGS, unsafeNumber } from './payload-checks.ts';

const limits = { maxDepth: 4, maxStringLength: 10 };
const body = (event: unknown) => ({ eventType: 't', event });

function refusal(b: unknown, l = limits): RoomcastError {
  try {
    checkPayload(b, l);
  } catch (err) {
    if (err instanceof RoomcastError) return err;
    throw err;
  }
  throw new Error('the body passed');
}

describe('checkPayload', () => {
  it('passes an ordinary event, nested up to the limit', () => {
    expect(() => checkPayload(body({ a: { b: { c: [1, 'x', null, true, 1.5, -(2 ** 53) + 1] } } }), limits)).not.toThrow();
    expect(findPayloadProblems(body({ a: 'ten chars!' }), limits)).toEqual([]);
  });

  it('refuses nesting beyond the limit, pointing at the first level too deep', () => {
    expect(findPayloadProblems(body({ a: { b: { c: { d: 1 } } } }), limits)).toEqual([]);
    const e = refusal(body({ a: { b: { c: { d: [] } } } }));
    expect(e.code).toBe('publish.too_deep');
    expect(e.status).toBe(400);
    expect(e.errors).toEqual([{ pointer: '/event/a/b/c/d', message: 'nests deeper than 4 levels' }]);
  });

  it('walks 10 000 levels (and a million) without recursion', () => {
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
    const e = refusal(body(deep), { maxDepth: 32, maxStringLength: 100 });
    expect(e.code).toBe('publish.too_deep');
    expect(e.errors?.[0]?.pointer).toBe(`/event${'/0'.repeat(32)}`);
    let million: unknown = {};
    for (let i = 0; i < 1_000_000; i++) million = { a: million };
    expect(findPayloadProblems(body(million), { maxDepth: 32, maxStringLength: 100 })).toHaveLength(1);
  });

  it('refuses __proto__ and constructor keys anywhere, naming each pointer', () => {
    const parsed = JSON.parse('{"eventType":"t","event":{"__proto__":{"x":1},"a":[{"constructor":{"prototype":1}}],"b/c":{"__proto__":2}}}') as unknown;
    const e = refusal(parsed);
    expect(e.code).toBe('publish.forbidden_key');
    expect(e.errors?.map((x) => x.pointer).sort()).toEqual(['/event/__proto__', '/event/a/0/constructor', '/event/b~1c/__proto__']);
    expect(refusal({ eventType: 't', event: {}, constructor: 1 }).errors?.[0]?.pointer).toBe('/constructor');
  });

  it('refuses non-finite and unsafe numbers, keeps safe integers and ordinary floats', () => {
    const parsed = JSON.parse('{"eventType":"t","event":{"big":9007199254740993,"inf":1e400,"neg":-1e400,"ok":9007199254740991,"f":0.1,"tiny":1e-300}}') as unknown;
    const e = refusal(parsed);
    expect(e.code).toBe('publish.unsafe_number');
    expect(e.errors?.map((x) => x.pointer).sort()).toEqual(['/event/big', '/event/inf', '/event/neg']);
    expect(unsafeNumber(2 ** 53)).toBe(true);
    expect(unsafeNumber(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(unsafeNumber(Number.NaN)).toBe(true);
    expect(unsafeNumber(6.02e23)).toBe(true);
  });

  it('refuses strings and property names longer than the limit', () => {
    const e = refusal(body({ s: 'x'.repeat(11), list: ['short', 'y'.repeat(20)], ['k'.repeat(11)]: 1 }));
    expect(e.code).toBe('publish.string_too_long');
    expect(e.errors?.map((x) => x.pointer).sort()).toEqual([`/event/${'k'.repeat(11)}`, '/event/list/1', '/event/s']);
    expect(e.errors?.find((x) => x.pointer === '/event/s')?.message).toBe('is 11 characters; the limit is 10');
  });

  it('lists every kind of finding under the code of the first kind', () => {
    const parsed = JSON.parse(`{"eventType":"t","event":{"s":"${'x'.repeat(11)}","n":1e400,"constructor":1,"d":{"a":{"b":{"c":{}}}}}}`) as unknown;
    const e = refusal(parsed);
    expect(e.code).toBe('publish.too_deep');
    expect(e.errors).toHaveLength(4);
  });

  it('caps the findings so a hostile body cannot inflate the answer', () => {
    const e = refusal(body(Array.from({ length: 1000 }, () => 'z'.repeat(11))));
    expect(e.errors).toHaveLength(MAX_FINDINGS);
    expect(e.message).toMatch(/^More than 20 problem/);
  });
});
