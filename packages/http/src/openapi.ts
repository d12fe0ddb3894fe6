/**
 * The one OpenAPI 3.1 document of a Roomcast process: shared components (problem details,
 * API-key security, GovStack headers) plus the paths each service contributes.
 */
import { ERROR_CATALOG } from '@roomcast/core';

export type OpenApiPaths = Record<string, Record<string, unknown>>;

export const problemResponseRef = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export const govstackParams = ['instanceId', 'memberClass', 'memberCode', 'applicationCode'].map((name) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
}));

export const govstackClientHeader = { $ref: '#/components/parameters/clientId' };

/** RFC 9457 problem details as Roomcast answers them; every OpenAPI document Roomcast serves uses this one. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'requestId'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CATALOG) },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['pointer', 'message'], properties: { pointer: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

export function openapiDocument(version: string, paths: OpenApiPaths[]): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Roomcast',
      version,
      description: 'Kafka-native event pub/sub implementing the GovStack Information Mediator PubSub API v2, plus Roomcast extensions.',
    },
    // Either way in: an API key, or a client certificate on the HTTPS listener when configured.
    security: [{ apiKey: [] }, { clientCertificate: [] }],
    paths: Object.assign(
      {
        '/healthz': { get: { operationId: 'liveness', tags: ['probes'], summary: 'Liveness', security: [], responses: { 200: { description: 'The process is running' } } } },
        '/readyz': {
          get: {
            operationId: 'readiness',
            tags: ['probes'],
            summary: 'Readiness: checks Kafka, the schema registry, PostgreSQL and Redis',
            security: [],
            responses: { 200: { description: 'Every dependency answered' }, 503: { description: 'At least one dependency failed' } },
          },
        },
        '/metrics': {
          get: {
            operationId: 'metrics',
            tags: ['probes'],
            summary: 'Prometheus metrics; with ROOMCAST_METRICS_TOKEN set, only that bearer token may read them',
            security: [],
            responses: { 200: { description: 'Text exposition format' }, 401: { description: 'ROOMCAST_METRICS_TOKEN is set and the request does not carry it' } },
          },
        },
        '/openapi.json': { get: { operationId: 'openapi', tags: ['probes'], summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } } },
      },
      ...paths,
    ),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Roomcast API key (rck_…)' },
        clientCertificate: {
          type: 'mutualTLS',
          description: "A client certificate signed by the configured client CA whose subject CN or URI SAN is an approved application's client id (HTTPS listener only).",
        },
      },
      parameters: {
        clientId: { name: 'X-GovStack-Client', in: 'header', required: true, schema: { type: 'string' }, description: 'INSTANCE/CLASS/MEMBER/APPLICATION of the caller' },
      },
      schemas: {
        Problem: PROBLEM_SCHEMA,
      },
    },
  };
}

/** Merges path items method by method, so two sources may describe different methods of one path. */
export function mergePaths(...sources: OpenApiPaths[]): OpenApiPaths {
  const out: OpenApiPaths = {};
  for (const src of sources) for (const [path, item] of Object.entries(src)) out[path] = { ...(out[path] ?? {}), ...item };
  return out;
}
