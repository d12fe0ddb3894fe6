/** OpenAPI response entries for problem+json answers that the router does not add by itself (404, 409, 429, 503), shared by every route file. */
import type { ResponseSpec } from '@roomcast/http';

export function problem(description: string): ResponseSpec {
  return { description, contentType: 'application/problem+json', schema: { $ref: '#/components/schemas/Problem' } };
}
