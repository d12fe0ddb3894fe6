/**
 * Declarative routes: one definition gives the Hono handler, the request validation and the
 * route's OpenAPI operation, so the published document cannot drift from what is enforced.
 *
 * A route names its JSON Schemas (body, query) and the router validates with Ajv before the
 * handler runs: every failing field is reported with its JSON pointer, unknown body fields are
 * refused when the schema says `additionalProperties: false` (no mass assignment), and the
 * handler only sees checked input. Routes that change state name an audit action; the router
 * records success or failure (with the error code) once the handler has finished.
 */
import { escapePointerToken, type FieldError, RoomcastError } from '@roomcast/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { authenticate, type CertificateResolver, type Principal, type PrincipalResolver, principalOf, requireGovStackClient } from './auth.ts';
import { readJsonBody } from './json-body.ts';
import { type OpenApiPaths, problemResponseRef } from './openapi.ts';

// ajv-formats is CommonJS with a default export; under ESM its callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

export type JsonSchema = Record<string, unknown>;
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  /** JSON body schema; omitted for empty responses. */
  schema?: JsonSchema;
  contentType?: string;
  /** Response headers, documented by name. */
  headers?: Record<string, { description?: string; schema: JsonSchema }>;
}

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  /** Path parameters by name. */
  params: Record<string, string>;
  /** Undefined only on routes with `auth: 'none'`. */
  principal: Principal;
  /** X-GovStack-Client as checked against the caller (routes with `govstackClient`). */
  client: string | undefined;
}

export interface RouteSpec<B = unknown, Q = Record<string, unknown>> {
  method: Method;
  /** OpenAPI-style path: /api/v1/things/{thingId}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** 'key' (default): an API key or client certificate is required. */
  auth?: 'key' | 'none';
  /** The X-GovStack-Client header is required and must name the caller. */
  govstackClient?: boolean;
  /** JSON Schema of the body (application/json). */
  body?: JsonSchema;
  /** Whether a body must be sent (default true when `body` is set). */
  bodyRequired?: boolean;
  /**
   * 'handler': the handler reads and checks the body itself, because something must come first
   * (the publish routes resolve room, contract and event type, and charge the publisher's byte
   * budget, before a byte is parsed); `body` then documents the request only. Default 'router'.
   */
  bodyReadBy?: 'router' | 'handler';
  /** Request headers the route reads, documented by name. */
  headers?: Record<string, { description: string; schema: JsonSchema; required?: boolean }>;
  /** Object schema of the query string; values are coerced from strings. */
  query?: JsonSchema;
  /** Descriptions of path parameters by name. */
  params?: Record<string, string>;
  responses: Record<number, ResponseSpec>;
  /** Audit action name (e.g. `room.create`); set on every route that changes state. */
  audit?: string;
  /** Request body limit in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Runs before the body is read and before auditing (a throttle): what it refuses is neither
   * parsed nor written to the audit log, so a flood of refused requests costs no storage.
   */
  admit?: (c: Context) => Promise<void>;
  handler: (c: Context, input: RouteInput<B, Q>) => Response | Promise<Response>;
}

/** A problem+json answer of a route, for the statuses the router does not add by itself (404, 409, 422, 429, 503). */
export function problemResponseSpec(description: string): ResponseSpec {
  return { description, contentType: 'application/problem+json', schema: { $ref: '#/components/schemas/Problem' } };
}

/** What the router hands to the audit sink after an audited route finished. */
export interface AuditEvent {
  /** Undefined for the few audited routes open to anonymous callers (e.g. a member applying). */
  principal: Principal | undefined;
  action: string;
  target: string;
  member: string | undefined;
  outcome: 'SUCCESS' | 'FAILURE';
  code: string | undefined;
  requestId: string;
  detail: Record<string, unknown> | undefined;
}

export type AuditSink = (event: AuditEvent) => Promise<void>;

/** Handlers name what they acted on; the audit entry falls back to the request path. */
export function setAuditTarget(c: Context, target: string, member?: string, detail?: Record<string, unknown>): void {
  c.set('auditTarget', target);
  if (member !== undefined) c.set('auditMember', member);
  if (detail !== undefined) c.set('auditDetail', detail);
}

const ajvBody = addFormats(new Ajv({ strict: false, allErrors: true, useDefaults: true }));
const ajvQuery = addFormats(new Ajv({ strict: false, allErrors: true, useDefaults: true, coerceTypes: true }));

/** Converts Ajv errors into Roomcast field errors, with the pointer of the offending field. */
export function fieldErrors(errors: ErrorObject[] | null | undefined, base = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let pointer = `${base}${e.instancePath}`;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      pointer += `/${escapePointerToken(String((e.params as { missingProperty: string }).missingProperty))}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      pointer += `/${escapePointerToken(String((e.params as { additionalProperty: string }).additionalProperty))}`;
      message = 'is not an accepted field';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
    } else if (e.keyword === 'if') {
      continue;
    }
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, message });
  }
  return out;
}

/** Validates `value` against a schema compiled once; throws `request.validation_failed`. */
export function checkSchema<T>(validate: ValidateFunction, value: unknown, base = ''): T {
  if (!validate(value)) throw new RoomcastError('request.validation_failed', { errors: fieldErrors(validate.errors, base) });
  return value as T;
}

export function compileBodySchema(schema: JsonSchema): ValidateFunction {
  return ajvBody.compile(schema);
}

function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string);
}

const PROBLEMS: Record<number, string> = {
  400: 'Invalid request (problem+json with the JSON pointer of each bad field)',
  401: 'Missing or invalid credentials',
  403: 'The caller may not do this',
  413: 'Body too large',
  415: 'Content-Type must be application/json',
};

export interface RouterOptions {
  resolve: PrincipalResolver;
  /** Accept client certificates (mTLS) on every authenticated route. */
  certificate?: CertificateResolver;
  audit?: AuditSink;
}

/** A set of declarative routes that mounts on Hono and describes itself in OpenAPI. */
export class ApiRouter {
  readonly routes: RouteSpec<never, never>[] = [];
  readonly options: RouterOptions;

  constructor(options: RouterOptions) {
    this.options = options;
  }

  add<B = unknown, Q = Record<string, unknown>>(spec: RouteSpec<B, Q>): this {
    this.routes.push(spec as unknown as RouteSpec<never, never>);
    return this;
  }

  hono(): Hono {
    const app = new Hono();
    for (const spec of this.routes) {
      const s = spec as unknown as RouteSpec<unknown, Record<string, unknown>>;
      const bodyCheck = s.body && s.bodyReadBy !== 'handler' ? ajvBody.compile(s.body) : undefined;
      const paramNames = pathParams(s.path);
      const queryCheck = s.query ? ajvQuery.compile(s.query) : undefined;
      const handlers: MiddlewareHandler[] = [];
      if (s.auth !== 'none') handlers.push(authenticate(this.options.resolve, this.options.certificate ? { certificate: this.options.certificate } : {}));
      const admit = s.admit;
      if (admit) {
        handlers.push(async (c, next) => {
          await admit(c);
          await next();
        });
      }
      const on = app.on.bind(app) as unknown as (method: string, path: string, ...h: MiddlewareHandler[]) => void;
      on(s.method.toUpperCase(), honoPath(s.path), ...handlers, async (c: Context) => {
        const run = async () => {
          const principal = (s.auth === 'none' ? c.get('principal') : principalOf(c)) as Principal;
          const client = s.govstackClient ? requireGovStackClient(c) : undefined;
          const params: Record<string, string> = {};
          for (const name of paramNames) params[name] = c.req.param(name) ?? '';
          const query = queryCheck ? checkSchema<Record<string, unknown>>(queryCheck, { ...c.req.query() }, '/query') : {};
          let body: unknown;
          if (bodyCheck) {
            const required = s.bodyRequired ?? true;
            const hasBody = c.req.header('content-length') !== '0' && (c.req.header('content-length') !== undefined || c.req.header('transfer-encoding') !== undefined);
            if (required || hasBody) body = checkSchema(bodyCheck, await readJsonBody(c, s.bodyLimit));
          }
          return s.handler(c, { body, query, params, principal, client });
        };
        if (!s.audit || !this.options.audit) return run();
        try {
          const res = await run();
          await this.record(c, s.audit, res.status < 400 ? 'SUCCESS' : 'FAILURE', undefined);
          return res;
        } catch (err) {
          await this.record(c, s.audit, 'FAILURE', err instanceof RoomcastError ? err.code : 'internal');
          throw err;
        }
      });
    }
    return app;
  }

  private async record(c: Context, action: string, outcome: 'SUCCESS' | 'FAILURE', code: string | undefined): Promise<void> {
    const principal = c.get('principal') as Principal | undefined;
    if (!this.options.audit) return;
    await this.options.audit({
      principal,
      action,
      target: (c.get('auditTarget') as string | undefined) ?? new URL(c.req.url).pathname,
      member: (c.get('auditMember') as string | undefined) ?? principal?.member,
      outcome,
      code,
      requestId: (c.get('requestId') as string | undefined) ?? 'unknown',
      detail: c.get('auditDetail') as Record<string, unknown> | undefined,
    });
  }

  /** OpenAPI path items for every route, from the same schemas the router validates with. */
  openapi(): OpenApiPaths {
    const paths: OpenApiPaths = {};
    for (const spec of this.routes) {
      const s = spec as unknown as RouteSpec;
      const parameters: unknown[] = [];
      if (s.govstackClient) parameters.push({ $ref: '#/components/parameters/clientId' });
      for (const name of pathParams(s.path)) {
        parameters.push({ name, in: 'path', required: true, schema: { type: 'string' }, ...(s.params?.[name] ? { description: s.params[name] } : {}) });
      }
      for (const [name, h] of Object.entries(s.headers ?? {})) {
        parameters.push({ name, in: 'header', required: h.required ?? false, description: h.description, schema: h.schema });
      }
      const q = s.query as { properties?: Record<string, JsonSchema>; required?: string[] } | undefined;
      for (const [name, schema] of Object.entries(q?.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q?.required?.includes(name) ?? false, schema });
      }
      const responses: Record<string, unknown> = {};
      for (const [status, r] of Object.entries(s.responses)) {
        responses[status] = {
          description: r.description,
          ...(r.headers ? { headers: r.headers } : {}),
          ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: r.schema } } } : {}),
        };
      }
      const add = (status: number) => {
        if (!responses[status]) responses[status] = problemResponseRef(PROBLEMS[status] ?? 'Error');
      };
      if (s.auth !== 'none') add(401);
      if (s.auth !== 'none') add(403);
      if (s.body || s.query || pathParams(s.path).length > 0) add(400);
      if (s.body) {
        add(413);
        add(415);
      }
      const op: Record<string, unknown> = {
        operationId: s.operationId,
        summary: s.summary,
        tags: s.tags,
        ...(s.description ? { description: s.description } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(s.body ? { requestBody: { required: s.bodyRequired ?? true, content: { 'application/json': { schema: s.body } } } } : {}),
        responses,
        ...(s.auth === 'none' ? { security: [] } : {}),
        ...(s.audit ? { 'x-audit-action': s.audit } : {}),
      };
      const item = paths[s.path] ?? {};
      item[s.method] = op;
      paths[s.path] = item;
    }
    return paths;
  }
}
