import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { keyAttributeProblem, parseSchemaInput } from './event-type-schema.ts';

const birth = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    motherId: { type: 'string' },
    weight: { type: 'integer' },
    mother: { type: 'object', properties: { id: { type: 'string' }, 'a/b': { type: 'number' } } },
    twins: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
    flag: { type: 'boolean' },
    anything: {},
    open: { type: 'object', additionalProperties: { type: 'string' } },
    ref: { $ref: '#/definitions/x' },
  },
  definitions: { x: { type: 'object', properties: { id: { type: 'string' } } } },
};

function failure(fn: () => unknown): RoomcastError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RoomcastError) return err;
    throw err;
  }
  throw new Error('expected a RoomcastError');
}

describe('parseSchemaInput', () => {
  it('accepts an object, and a string holding one (the GovStack example sends a string)', () => {
    expect(parseSchemaInput(birth)).toEqual(birth);
    expect(parseSchemaInput(JSON.stringify(birth))).toEqual(birth);
  });

  it('writes down draft-07 when $schema is absent, as the ingress assumes it', () => {
    expect(parseSchemaInput('{"type":"object"}')).toEqual({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' });
  });

  it('refuses a string that is not JSON, and JSON that is not an object, at /schema', () => {
    const notJson = failure(() => parseSchemaInput('{"type": "object",'));
    expect([notJson.code, notJson.errors?.[0]?.pointer]).toEqual(['request.validation_failed', '/schema']);
    expect(notJson.errors?.[0]?.message).toMatch(/not JSON/);
    for (const v of ['42', '"text"', '[1]', 'null']) expect(failure(() => parseSchemaInput(v)).errors?.[0]?.pointer).toBe('/schema');
  });

  it('refuses a schema the ingress could not compile, with the compiler’s reason', () => {
    const err = failure(() => parseSchemaInput({ type: 'object', properties: { a: { type: 'no-such-type' } } }));
    expect(err.code).toBe('event_type.schema_invalid');
    expect(err.errors?.[0]).toMatchObject({ pointer: '/schema' });
    expect(err.errors?.[0]?.message).toMatch(/type/);
    expect(failure(() => parseSchemaInput({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' })).code).toBe('event_type.schema_invalid');
  });

  it('accepts 2020-12 schemas and ignores $id, as the ingress does', () => {
    expect(parseSchemaInput({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'urn:x', type: 'array', prefixItems: [{ type: 'string' }] })).toMatchObject({ $id: 'urn:x' });
  });
});

describe('keyAttributeProblem', () => {
  it.each(['/motherId', '/weight', '/mother/id', '/mother/a~1b', '/twins/0/id', '/anything', '/open/x', '/ref/id'])('accepts %s', (pointer) => {
    expect(keyAttributeProblem(birth, pointer)).toBeUndefined();
  });

  it.each([
    ['motherId', /JSON pointer/],
    ['', /JSON pointer/],
    ['/bad~2escape', /JSON pointer/],
    ['/fatherId', /"fatherId" is not declared at the top level/],
    ['/mother/name', /"name" is not declared at \/mother/],
    ['/mother', /string or number.*object/],
    ['/twins', /string or number.*array/],
    ['/flag', /string or number.*boolean/],
    ['/twins/x/id', /"x" is not declared at \/twins/],
  ])('refuses %s', (pointer, reason) => {
    expect(keyAttributeProblem(birth, pointer)).toMatch(reason);
  });
});
