/**
 * The validation pool with real worker threads: costly validations leave the event loop, a
 * validation that spends its budget is stopped and refused, a schema that keeps spending it is
 * refused outright, and one publisher's queue does not starve another's.
 */
import { type FieldError, RoomcastError, silentLogger } from '@roomcast/core';
import { eventSchemaCompiler, EVENT_MAX_DEPTH, schemaCost } from '@roomcast/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPayload } from './payload-checks.ts';
import { toFieldErrors } from './validation-errors.ts';
import { SchemaValidation, type ValidationSettings } from './validation.ts';
import { type CachedSchema, scansStrings } from './validators.ts';

function entry(schemaId: number, schema: Record<string, unknown>): CachedSchema {
  const fn = eventSchemaCompiler().compile(schema);
  return { schemaId, validate: (p) => (fn(p) ? [] : toFieldErrors(fn.errors)), unfolded: schemaCost(schema, EVENT_MAX_DEPTH).unfolded, text: JSON.stringify(schema), scansStrings: scansStrings(JSON.stringify(schema)) };
}

/**
 * Two recursive branches over nested arrays: a valid payload ([[[…[]…]]]) is quick, an invalid
 * one ([[[…[1]…]]]) tries both branches at every level, 2^depth (1.2 s at depth 18 here).
 */
const branchy = { $ref: '#/definitions/n', definitions: { n: { anyOf: [{ type: 'array', items: { $ref: '#/definitions/n' }, maxItems: 1 }, { type: 'array', items: { $ref: '#/definitions/n' } }] } } };
function nested(depth: number, inner: unknown[] = []): unknown {
  let v: unknown = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
const flat = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };

const settings: ValidationSettings = { inlineCost: 50_000, workers: 1, budgetMs: 150, maxQueue: 8, perPublisher: 4 };
let pool: SchemaValidation | undefined;
afterEach(async () => pool?.stop());

async function refusal(p: FieldError[] | Promise<FieldError[]>): Promise<RoomcastError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RoomcastError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('SchemaValidation', () => {
  it('validates a flat schema inline, synchronously', async () => {
    pool = new SchemaValidation(settings, silentLogger);
    const e = entry(1, flat);
    expect(pool.check('a', e, { id: 'x' }, checkPayload({ id: 'x' }))).toEqual([]);
    expect(pool.check('a', e, {}, checkPayload({}))).toEqual([{ pointer: '/id', message: "must have required property 'id'" }]);
    // A long string costs one step when no keyword reads it character by character.
    const long = { id: 'x'.repeat(60_000) };
    expect(pool.check('a', e, long, checkPayload(long))).toEqual([]);
    const scanned = entry(7, { type: 'object', properties: { id: { type: 'string', maxLength: 10 } } });
    const offloaded = pool.check('a', scanned, long, checkPayload(long));
    expect(offloaded).toBeInstanceOf(Promise);
    expect((await offloaded)[0]?.pointer).toBe('/id');
  });

  it('sends a costly validation to a worker and answers its errors', async () => {
    pool = new SchemaValidation(settings, silentLogger);
    const e = entry(2, branchy);
    const ok = pool.check('a', e, nested(4), checkPayload(nested(4)));
    expect(ok).toBeInstanceOf(Promise);
    expect(await ok).toEqual([]);
    const bad = await pool.check('a', e, nested(3, [1]), checkPayload(nested(3, [1])));
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]?.pointer).toMatch(/^\/0\/0/);
  });

  it('stops a validation that spends its budget, keeps the event loop free meanwhile, and strikes the schema out after three', async () => {
    pool = new SchemaValidation(settings, silentLogger);
    const e = entry(3, branchy);
    const hostile = nested(EVENT_MAX_DEPTH - 2, [1]);
    let maxGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    try {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const err = await refusal(pool.check('a', e, hostile, checkPayload(hostile)));
        expect([err.code, err.status]).toEqual(['publish.validation_too_costly', 422]);
        expect(performance.now() - t0).toBeLessThan(settings.budgetMs + 1000);
      }
      const t0 = performance.now();
      const struck = await refusal(pool.check('a', e, hostile, checkPayload(hostile)));
      expect(struck.code).toBe('publish.validation_too_costly');
      expect(struck.message).toMatch(/refused for a minute/);
      expect(performance.now() - t0).toBeLessThan(20);
    } finally {
      clearInterval(ticker);
    }
    expect(maxGap).toBeLessThan(50);
    // The pool still serves other schemas after restarting its worker.
    expect(await pool.check('b', entry(4, branchy), nested(3), checkPayload(nested(3)))).toEqual([]);
  });

  it('serves publishers round-robin and bounds each one’s queue (503 busy beyond it)', async () => {
    pool = new SchemaValidation({ ...settings, budgetMs: 100 }, silentLogger);
    const hostile = entry(5, branchy);
    const deep = nested(EVENT_MAX_DEPTH - 2, [1]);
    const hogDone: number[] = [];
    const hogs = Array.from({ length: 4 }, () =>
      refusal(pool?.check('hog', hostile, deep, checkPayload(deep)) as Promise<FieldError[]>).then((e) => {
        hogDone.push(performance.now());
        return e;
      }),
    );
    const busy = await refusal(pool.check('hog', hostile, deep, checkPayload(deep)));
    expect([busy.code, busy.status, busy.headers?.['retry-after']]).toEqual(['publish.validation_busy', 503, '1']);
    const polite = await pool.check('polite', entry(6, branchy), nested(3), checkPayload(nested(3)));
    const politeDone = performance.now();
    expect(polite).toEqual([]);
    // Behind at most the hog's running validation, not its whole queue of four: the polite
    // publisher's check is done before the hog's second one (an order, whatever the machine's load).
    expect(hogDone.length).toBeLessThanOrEqual(1);
    // The hog's validations were each stopped at the budget; the third struck the schema out.
    expect((await Promise.all(hogs)).map((e) => e.code)).toEqual(Array(4).fill('publish.validation_too_costly'));
    expect(hogDone[1]).toBeGreaterThan(politeDone);
  });
});
