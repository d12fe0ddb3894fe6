/** OpenAPI response entries for problem+json answers that the router does not add by itself (404, 409, 429, 503), shared by every route file. */
export { problemResponseSpec as problem } from '@roomcast/http';
