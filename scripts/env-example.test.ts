import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envExample } from './env-example.ts';

describe('.env.example', () => {
  it('is the generated description of every setting (regenerate it when the spec changes)', () => {
    expect(readFileSync(new URL('../.env.example', import.meta.url), 'utf8')).toBe(envExample());
  });
});
