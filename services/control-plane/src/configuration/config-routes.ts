/**
 * GovStack Configuration Management, `conf` tag: `/api/v1/status` and `/api/v1/config`
 * (GovStack_IM_Configuration_Management_API.yaml). Global admins only. Writes answer 201 with the
 * IMconfResponse string; a document that cannot be applied answers 400 `config.invalid` listing
 * every problem with its JSON pointer, and nothing is written.
 */
import { RoomcastError, SEGMENT_RE } from '@roomcast/core';
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import { requireGlobalAdmin } from '../http/access.ts';
import { type ConfigMode, describeResult, type ImConf } from './config-management.ts';
import type { Configuration } from './configuration.ts';

const segment = { type: 'string', pattern: SEGMENT_RE.source, maxLength: 63 };
const url = { type: 'string', format: 'uri', maxLength: 2000 };

/** IMconf as the specification defines it, closed against unknown fields, with length limits. */
export const imConfSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['domain', 'instance'],
  properties: {
    domain: { type: 'string', format: 'hostname', minLength: 1, maxLength: 253, description: 'Subdomain for the GovStack instance' },
    instance: { ...segment, description: 'Name of the GovStack instance' },
    members: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'class', 'code'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          class: segment,
          code: segment,
          applications: {
            type: 'array',
            maxItems: 10_000,
            description: "The member's applications and rooms (a room's services are its event types)",
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['id'],
              properties: {
                id: segment,
                connection: { type: 'string', enum: ['http', 'https'], description: 'Accepted and ignored: Roomcast calls applications only through push URLs' },
                services: {
                  type: 'array',
                  maxItems: 10_000,
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['id', 'specUrl', 'serviceUrl'],
                    properties: {
                      id: { type: 'string', maxLength: 67, description: '<event type> (publish) or sub:<event type> (subscribe)' },
                      specUrl: { ...url, description: 'Derived (getOpenAPI URL); ignored on input' },
                      serviceUrl: { ...url, description: 'Derived (publish or subscription URL); ignored on input' },
                      rights: {
                        type: 'array',
                        maxItems: 10_000,
                        items: {
                          type: 'object',
                          additionalProperties: false,
                          required: ['member', 'application'],
                          properties: {
                            member: { type: 'string', minLength: 1, maxLength: 200, description: 'CLASS/CODE, INSTANCE/CLASS/CODE, or a member code unique in the instance' },
                            application: segment,
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const imConfResponse = { description: 'Applied; what changed and the routing generation', schema: { type: 'string' } };

async function runChecks(checks: Record<string, () => Promise<void>>, timeoutMs = 2000): Promise<{ ok: Record<string, 'ok'>; failed: string[] }> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref())]);
        return [name, true] as const;
      } catch {
        return [name, false] as const;
      }
    }),
  );
  return { ok: Object.fromEntries(results.filter(([, ok]) => ok).map(([n]) => [n, 'ok' as const])), failed: results.filter(([, ok]) => !ok).map(([n]) => n) };
}


export function configRoutes(router: ApiRouter, configuration: Configuration, checks: Record<string, () => Promise<void>>): void {
  router.add({
    method: 'get',
    path: '/api/v1/status',
    operationId: 'checkIMconf',
    summary: 'Is the instance configured, up and running?',
    description: '200 when configured and every dependency answers; 409 `config.not_configured` before the first configuration; 503 naming the failed dependencies.',
    tags: ['conf'],
    responses: {
      200: {
        description: 'Configured and running',
        schema: {
          type: 'object',
          required: ['status', 'instance', 'domain', 'generation', 'checks'],
          properties: {
            status: { type: 'string', enum: ['OK'] },
            instance: { type: 'string' },
            domain: { type: 'string' },
            generation: { type: 'integer', description: 'Current routing-contract generation' },
            checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok'] } },
          },
        },
      },
      409: { description: 'Not configured yet' },
      503: { description: 'A dependency failed' },
    },
    handler: async (c, { principal }) => {
      requireGlobalAdmin(principal);
      const { ok, failed } = await runChecks(checks);
      if (failed.length > 0) throw new RoomcastError('dependency.unavailable', { detail: `Not answering: ${failed.join(', ')}` });
      const { instance, domain, generation } = await configuration.status();
      return c.json({ status: 'OK', instance, domain, generation, checks: ok });
    },
  });

  router.add({
    method: 'get',
    path: '/api/v1/config',
    operationId: 'listIMconf',
    summary: 'The instance as an IMconf document',
    description: 'Approved members; their approved applications and approved rooms; each room event type as two services, `<type>` (rights = publisher contracts) and `sub:<type>` (rights = subscriber grants).',
    tags: ['conf'],
    responses: { 200: { description: 'IMconf', schema: imConfSchema }, 409: { description: 'Not configured yet' } },
    handler: async (c, { principal }) => {
      requireGlobalAdmin(principal);
      return c.json(await configuration.imConf());
    },
  });

  const write = (method: 'post' | 'patch' | 'put', mode: ConfigMode, operationId: string, summary: string, description: string) => {
    router.add<ImConf, { init?: boolean }>({
      method,
      path: '/api/v1/config',
      operationId,
      summary,
      description,
      tags: ['conf'],
      body: imConfSchema,
      ...(method === 'post'
        ? { query: { type: 'object', additionalProperties: false, properties: { init: { type: 'boolean', default: false, description: 'Accepted; Roomcast has no central servers to create' } } } }
        : {}),
      audit: `config.${mode === 'init' ? 'create' : mode === 'merge' ? 'update' : 'replace'}`,
      responses: { 201: imConfResponse },
      handler: async (c, { body, principal }) => {
        setAuditTarget(c, `instance:${body.instance}`, undefined, { mode, members: body.members?.length ?? 0 });
        requireGlobalAdmin(principal);
        const result = await configuration.apply(mode, body);
        setAuditTarget(c, `instance:${body.instance}`, undefined, { mode, generation: result.generation, ...result.summary });
        return c.json(describeResult(result), 201);
      },
    });
  };
  write('post', 'init', 'createIMconf', 'Initialise the instance', 'First configuration; refused with `config.invalid` when the instance is already configured.');
  write(
    'patch',
    'merge',
    'updateIMconf',
    'Update the configuration; parts not described are not changed',
    'Creates described members and applications, renames members, adds the described rights. Never removes anything.',
  );
  write(
    'put',
    'replace',
    'replaceIMconf',
    'Replace the configuration; rights not described are withdrawn',
    'As PATCH, and in addition revokes every publisher contract and removes every subscriber grant on the instance’s rooms that the document does not describe (a subscription that loses its grant goes back to PENDING). Members, applications, rooms and event types are never deleted.',
  );
}
