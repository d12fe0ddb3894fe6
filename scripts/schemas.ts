/**
 * The published JSON files under schemas/, generated from their one source in the code:
 *   error-codes.json             the problem-code catalog (packages/core errors.ts)
 *   event-item.schema.json       the outbound event item (packages/core event-item.ts)
 *   routing-contract.schema.json the routing contract (packages/routing contract-schema.ts)
 * `node scripts/schemas.ts` rewrites them; a unit test (schemas.test.ts) keeps them equal.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOG, EVENT_ITEM_SCHEMA } from '@roomcast/core';
import { ROUTING_CONTRACT_SCHEMA } from '@roomcast/routing';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
const published = (name: string, schema: object) => ({ $schema: DRAFT, $id: `https://roomcast.dev/schemas/${name}`, ...schema });

/** File name under schemas/ → its text. */
export function schemaFiles(): Record<string, string> {
  const codes: Record<string, { status: number; title: string; retryable: boolean }> = {};
  for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
    const e: { status: number; title: string; retryable?: boolean } = entry;
    codes[code] = { status: e.status, title: e.title, retryable: e.retryable === true };
  }
  const docs: Record<string, object> = {
    'error-codes.json': {
      $comment: "Roomcast's closed catalog of problem codes (application/problem+json `code`). Generated from packages/core/src/errors.ts (scripts/schemas.ts).",
      codes,
    },
    'event-item.schema.json': published('event-item.schema.json', EVENT_ITEM_SCHEMA),
    'routing-contract.schema.json': published('routing-contract.schema.json', ROUTING_CONTRACT_SCHEMA),
  };
  return Object.fromEntries(Object.entries(docs).map(([name, doc]) => [name, `${JSON.stringify(doc, null, 2)}\n`]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(schemaFiles())) writeFileSync(new URL(`../schemas/${name}`, import.meta.url), text);
}
