/**
 * Roomcast's own administration API lives under one base path; each area declares its routes
 * on the shared ApiRouter (identity-routes.ts, room-routes.ts, publisher-routes.ts,
 * subscription-admin-routes.ts, allowlist-routes.ts, audit-routes.ts).
 */
export const ADMIN_BASE = '/api/admin/v1';
