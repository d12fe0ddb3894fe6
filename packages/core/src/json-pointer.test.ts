import { describe, expect, it } from 'vitest';
import { parsePointer, resolvePointer } from './json-pointer.ts';

describe('JSON pointers', () => {
  const doc = { patient: { id: 'p-1', 'a/b': 1, 'm~n': 2 }, list: [10, 20] };

  it('resolves RFC 6901 pointers with escapes and array indexes', () => {
    expect(resolvePointer(doc, parsePointer('/patient/id') ?? [])).toBe('p-1');
    expect(resolvePointer(doc, parsePointer('/patient/a~1b') ?? [])).toBe(1);
    expect(resolvePointer(doc, parsePointer('/patient/m~0n') ?? [])).toBe(2);
    expect(resolvePointer(doc, parsePointer('/list/1') ?? [])).toBe(20);
    expect(resolvePointer(doc, parsePointer('') ?? [])).toBe(doc);
  });

  it('rejects malformed pointers and never walks the prototype chain', () => {
    expect(parsePointer('patient/id')).toBeUndefined();
    expect(resolvePointer(doc, ['list', '01'])).toBeUndefined();
    expect(resolvePointer(doc, ['__proto__'])).toBeUndefined();
    expect(resolvePointer(doc, ['patient', 'constructor'])).toBeUndefined();
  });
});
