import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { MAX_FIELD_ERRORS, toFieldErrors } from './validation-errors.ts';

const error = (over: Partial<ErrorObject>): ErrorObject => ({ keyword: 'type', instancePath: '/a', schemaPath: '#', params: {}, message: 'must be string', ...over });

describe('toFieldErrors', () => {
  it('names the missing or extra property in the pointer', () => {
    expect(toFieldErrors([error({ keyword: 'required', instancePath: '/p', params: { missingProperty: 'id' }, message: "must have required property 'id'" })])).toEqual([{ pointer: '/p/id', message: "must have required property 'id'" }]);
    expect(toFieldErrors([error({ keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'x' }, message: 'must NOT have additional properties' })])).toEqual([{ pointer: '/x', message: 'must NOT have additional properties' }]);
    expect(toFieldErrors(null)).toEqual([]);
  });

  it(`lists at most ${MAX_FIELD_ERRORS} problems and says how many more there were`, () => {
    const many = Array.from({ length: 8000 }, (_, i) => error({ instancePath: `/${i}` }));
    const out = toFieldErrors(many);
    expect(out).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(out[MAX_FIELD_ERRORS - 1]?.pointer).toBe(`/${MAX_FIELD_ERRORS - 1}`);
    expect(out[MAX_FIELD_ERRORS]?.message).toBe(`${8000 - MAX_FIELD_ERRORS} further problems not listed`);
  });
});
