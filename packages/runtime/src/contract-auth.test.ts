import { hashApiKey, silentLogger } from '@roomcast/core';
import { principalOf, problemErrorHandler } from '@roomcast/http';
import type { KeyUsage } from '@roomcast/redis';
import { EMPTY_CONTRACT, indexContract, type RoutingFollower } from '@roomcast/routing';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { contractAuthenticator } from './contract-auth.ts';

const KEY = 'rck_clinic';
const contract = {
  ...EMPTY_CONTRACT,
  generation: 3,
  principals: [{ keyHash: hashApiKey(KEY), keyId: 'key_1', role: 'APPLICATION' as const, clientId: 'DEV/GOV/MOH/clinic', member: 'DEV/GOV/MOH' }],
  applications: [{ clientId: 'DEV/GOV/MOH/clinic', member: 'DEV/GOV/MOH' }],
};
const routing = { current: () => indexContract(contract) } as unknown as RoutingFollower;

describe('contractAuthenticator', () => {
  it('resolves keys from the contract, records their use, and exposes only principal fields', async () => {
    const touched: string[] = [];
    const usage: KeyUsage = { touch: (id) => void touched.push(id), read: async () => new Map(), forget: async () => {} };
    const app = new Hono();
    app.onError(problemErrorHandler(silentLogger));
    app.use('*', contractAuthenticator(routing, usage));
    app.get('/who', (c) => c.json(principalOf(c)));

    const res = await app.request('/who', { headers: { authorization: `Bearer ${KEY}` } });
    expect(await res.json()).toEqual({ role: 'APPLICATION', keyId: 'key_1', clientId: 'DEV/GOV/MOH/clinic', member: 'DEV/GOV/MOH' });
    expect(touched).toEqual(['key_1']);
    expect((await app.request('/who', { headers: { authorization: 'Bearer rck_unknown' } })).status).toBe(401);
    expect(touched).toEqual(['key_1']);
  });
});
