import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaFiles } from './schemas.ts';

describe('published schemas', () => {
  for (const [name, text] of Object.entries(schemaFiles())) {
    it(`schemas/${name} matches its source in the code (regenerate: node scripts/schemas.ts)`, () => {
      expect(readFileSync(new URL(`../schemas/${name}`, import.meta.url), 'utf8')).toBe(text);
    });
  }
});
