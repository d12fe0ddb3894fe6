/** Regenerates schemas/error-codes.json from the catalog in packages/core (a unit test keeps them equal). */
import { writeFileSync } from 'node:fs';
import { ERROR_CATALOG } from '@roomcast/core';

const codes: Record<string, { status: number; title: string; retryable: boolean }> = {};
for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
  const e: { status: number; title: string; retryable?: boolean } = entry;
  codes[code] = { status: e.status, title: e.title, retryable: e.retryable === true };
}
const doc = {
  $comment: "Roomcast's closed catalog of problem codes (application/problem+json `code`). Kept equal to packages/core/src/errors.ts by a unit test.",
  codes,
};
writeFileSync(new URL('../schemas/error-codes.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
