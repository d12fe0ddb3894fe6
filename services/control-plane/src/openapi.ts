/** OpenAPI paths served by the control plane. */
import type { OpenApiPaths } from '@roomcast/http';
import { ADMIN_BASE } from './admin-routes.ts';

const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

export const controlPlaneOpenApi: OpenApiPaths = {
  [`${ADMIN_BASE}/members`]: { post: { tags: ['admin'], summary: 'Create a member (global admin)', responses: { 201: json('Member') } } },
  [`${ADMIN_BASE}/members/{memberId}/applications`]: { post: { tags: ['admin'], summary: 'Create an application and its first API key', responses: { 201: json('Application with apiKey, shown once') } } },
};
