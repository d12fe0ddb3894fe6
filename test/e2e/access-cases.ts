/**
 * The table of the shared access suite (access.int.test.ts): one row per operation, with the
 * request each persona sends and the status each must get, in the order of PERSONAS. Rows run
 * in order; `prepare` creates what a row needs and `after` keeps ids from answers.
 *
 * Personas: the room `births` belongs to DEV/GOV/MOH (owner); its application clinic-a
 * publishes; DEV/GOV/REG (other member) has births-registry, subscribed to newBirth.
 */
import { DEMO } from '../../scripts/lib/demo.ts';
import { A, type AccessCase, applyMember, clientOf, get, logged, OTHER, OWNER, pendingApplication, pendingRoom, PULL, pullableEvent, ROOM, simpleSchema } from './access-support.ts';

export { type AccessContext, PERSONAS, type Persona } from './access-support.ts';

export const ACCESS_CASES: AccessCase[] = [
  // Probes and documents are open to everyone, by design (no data, no secrets).
  ...(
    [
      ['liveness', '/healthz'],
      ['readiness', '/readyz'],
      ['openapi', '/openapi.json'],
    ] as const
  ).map(([op, path]): AccessCase => ({ op, expect: [200, 200, 200, 200, 200, 200], request: get(path) })),
  // The access platform sets ROOMCAST_METRICS_TOKEN: no API key, not even a global admin's, reads
  // /metrics; only the scrape token does (checked in access.int.test.ts).
  { op: 'metrics', expect: [401, 401, 401, 401, 401, 401], request: get('/metrics') },

  // Who am I, audit, directory: open to every authenticated caller (audit: admins only).
  { op: 'whoAmI', expect: [401, 200, 200, 200, 200, 200], request: get(`${A}/me`) },
  { op: 'listAuditEntries', expect: [401, 403, 200, 403, 200, 200], request: get(`${A}/audit`) },
  { op: 'listClients', expect: [401, 200, 200, 200, 200, 200], request: get('/listClients') },
  { op: 'listMethods', expect: [401, 200, 200, 200, 200, 200], request: get(`${ROOM}/listMethods`) },
  { op: 'allowedMethods', expect: [401, 200, 200, 200, 200, 200], request: get(`${ROOM}/allowedMethods`) },
  { op: 'getOpenAPI', expect: [401, 200, 200, 200, 200, 200], request: get(`${ROOM}/getOpenAPI?serviceCode=${DEMO.eventType}`) },

  // Configuration management: global admin only.
  { op: 'createIMconf', expect: [401, 403, 403, 403, 403, 201], request: () => ({ method: 'POST', path: '/api/v1/config', body: { domain: 'dev.roomcast.test', instance: 'DEV' } }) },
  { op: 'checkIMconf', expect: [401, 403, 403, 403, 403, 200], request: get('/api/v1/status') },
  { op: 'listIMconf', expect: [401, 403, 403, 403, 403, 200], request: get('/api/v1/config') },
  { op: 'updateIMconf', expect: [401, 403, 403, 403, 403, 201], request: () => ({ method: 'PATCH', path: '/api/v1/config', body: { domain: 'dev.roomcast.test', instance: 'DEV' } }) },
  {
    op: 'replaceIMconf',
    expect: [401, 403, 403, 403, 403, 201],
    // The current configuration sent back unchanged: replacing it withdraws nothing.
    prepare: async (ctx) => {
      ctx.state.config = JSON.stringify((await ctx.call('GET', '/api/v1/config')).body);
    },
    request: (ctx) => ({ method: 'PUT', path: '/api/v1/config', body: JSON.parse(ctx.state.config as string) }),
  },
  // Rights: global admin, or a member admin for its own rooms.
  { op: 'getAllowed', expect: [401, 403, 200, 403, 200, 200], request: get('/api/v1/rights/allow') },
  ...(['setAllowed', 'setDenied'] as const).map(
    (op): AccessCase => ({
      op,
      expect: [401, 403, 403, 403, 200, 200],
      request: () => ({
        method: 'PATCH',
        path: `/api/v1/rights/${op === 'setAllowed' ? 'allow' : 'deny'}`,
        body: [{ memberClass: 'GOV', memberCode: 'MOH', applicationId: DEMO.room, serviceId: DEMO.eventType, rights: [{ memberClass: 'GOV', memberCode: 'REG', applicationId: DEMO.subscriberApp }] }],
      }),
    }),
  ),

  // Rooms: a member creates its own; ids of other members' rooms look missing.
  {
    op: 'createRoom',
    expect: [401, 403, 403, 201, 201, 201],
    request: (_, p) => ({ method: 'POST', path: `${A}/rooms`, body: { ...DEMO.owner, name: undefined, room: `acc-${p.toLowerCase()}` } }),
  },
  { op: 'listRooms', expect: [401, 200, 200, 200, 200, 200], request: get(`${A}/rooms`) },
  { op: 'getRoom', expect: [401, 404, 404, 200, 200, 200], request: (ctx, p) => get(`${A}/rooms/${ctx.ids.roomId}`)(ctx, p) },
  { op: 'updateRoom', expect: [401, 404, 404, 200, 200, 200], request: (ctx) => ({ method: 'PATCH', path: `${A}/rooms/${ctx.ids.roomId}`, body: { description: 'Births at health facilities' } }) },
  // Room data keys (classified payloads): the owner's keys and global admins; others see no room.
  { op: 'listRoomDataKeys', expect: [401, 404, 404, 200, 200, 200], request: (ctx, p) => get(`${A}/rooms/${ctx.ids.roomId}/data-keys`)(ctx, p) },
  { op: 'rotateRoomDataKey', expect: [401, 404, 404, 201, 201, 201], request: (ctx) => ({ method: 'POST', path: `${A}/rooms/${ctx.ids.roomId}/data-keys/rotate` }) },
  {
    op: 'approveRoom',
    expect: [401, 403, 403, 403, 403, 200],
    prepare: async (ctx) => {
      ctx.state.pendingRoom = await pendingRoom(ctx, 'acc-approve');
    },
    request: (ctx) => ({ method: 'POST', path: `${A}/rooms/${ctx.state.pendingRoom}/approve` }),
  },
  {
    op: 'deleteRoom',
    expect: [401, 404, 404, 204, 404, 404],
    prepare: async (ctx) => {
      ctx.state.doomedRoom = await pendingRoom(ctx, 'acc-delete');
    },
    request: (ctx) => ({ method: 'DELETE', path: `${A}/rooms/${ctx.state.doomedRoom}` }),
  },

  // Event types: the owner changes, anyone authenticated reads.
  {
    op: 'createEventType',
    expect: [401, 403, 403, 200, 200, 200],
    request: (_, p) => ({ method: 'POST', path: `${ROOM}/api/v1/eventType`, client: clientOf(p), body: { eventType: `acc${p}`, schema: simpleSchema } }),
  },
  { op: 'getEventTypeList', expect: [401, 200, 200, 200, 200, 200], request: get(`${ROOM}/api/v1/eventType`) },
  { op: 'getEventType', expect: [401, 200, 200, 200, 200, 200], request: get(`${ROOM}/api/v1/eventType/${DEMO.eventType}`) },
  {
    op: 'changeEventType',
    expect: [401, 403, 403, 200, 200, 200],
    request: (_, p) => ({ method: 'PUT', path: `${ROOM}/api/v1/eventType/accglobalAdmin`, client: clientOf(p), body: { schema: simpleSchema, description: `changed by ${p}` } }),
  },
  {
    op: 'deleteEventType',
    expect: [401, 403, 403, 204, 404, 404],
    request: (_, p) => ({ method: 'DELETE', path: `${ROOM}/api/v1/eventType/accownerApp`, client: clientOf(p) }),
  },

  // Publisher contracts: the room owner's member admin grants (its applications may not), the
  // owner's side revokes; the grantee may read its own.
  {
    op: 'grantPublisher',
    expect: [401, 404, 404, 403, 200, 200],
    request: (ctx) => ({ method: 'POST', path: `${A}/rooms/${ctx.ids.roomId}/publishers`, body: { clientId: OTHER, eventTypes: [DEMO.eventType] } }),
  },
  { op: 'listRoomPublishers', expect: [401, 404, 404, 200, 200, 200], request: (ctx, p) => get(`${A}/rooms/${ctx.ids.roomId}/publishers`)(ctx, p) },
  {
    op: 'listClientPublishers',
    expect: [401, 200, 200, 200, 200, 200],
    request: get(`${A}/publishers`),
    after: (ctx, p, res) => {
      if (p !== 'otherApp') return;
      const contracts = (res.body.contracts ?? res.body.items ?? []) as { id: string }[];
      if (contracts[0]) ctx.state.otherContract = contracts[0].id;
    },
  },
  { op: 'getPublisher', expect: [401, 200, 200, 200, 200, 200], request: (ctx, p) => get(`${A}/publishers/${ctx.state.otherContract}`)(ctx, p) },
  { op: 'revokePublisherContract', expect: [401, 403, 403, 200, 200, 200], request: (ctx) => ({ method: 'DELETE', path: `${A}/publishers/${ctx.state.otherContract}` }) },
  {
    op: 'revokePublisher',
    expect: [401, 404, 404, 200, 404, 404],
    prepare: async (ctx) => {
      await ctx.call('POST', `${A}/rooms/${ctx.ids.roomId}/publishers`, { clientId: OTHER, eventTypes: [DEMO.eventType] });
    },
    request: (ctx) => ({ method: 'DELETE', path: `${A}/rooms/${ctx.ids.roomId}/publishers?clientId=${encodeURIComponent(OTHER)}` }),
  },

  // The publish route (ingress): only a publisher contract allows it.
  {
    op: 'publishEvent',
    // Admins may name their member's application but never publish as it.
    expect: [401, 403, 403, 201, 403, 403],
    request: (_, p) => ({ method: 'POST', path: `${ROOM}/pub/v1/${DEMO.eventType}`, client: clientOf(p), body: { eventType: DEMO.eventType, event: DEMO.sampleEvent } }),
    after: (ctx, p, res) => {
      if (p === 'ownerApp') ctx.state.eventId = String(res.body.id);
    },
  },
  // Event status and cancel: the publisher (or an admin acting for it) sees its event; for
  // anyone else it is missing.
  { op: 'getStatus', expect: [401, 404, 404, 200, 200, 404], request: (ctx, p) => get(`${ROOM}/pub/v1/${DEMO.eventType}/${ctx.state.eventId}`)(ctx, p) },
  {
    op: 'deleteEvent',
    expect: [401, 404, 404, 204, 204, 404],
    request: (ctx, p) => ({ method: 'DELETE', path: `${ROOM}/pub/v1/${DEMO.eventType}/${ctx.state.eventId}`, client: clientOf(p) }),
  },
  // The message log: every caller with a key may search, and sees only what is associated with
  // it (scope.ts), so the answer is 200 for all; the history and proof of one event are there
  // for its publisher, its subscriber (a delivery was attempted), their member admins and the
  // central admin. The signing keys are public.
  { op: 'searchLogEvents', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/log/events?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  { op: 'searchLogDeliveries', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/log/deliveries?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  { op: 'reportLogEvents', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/log/reports/events?groupBy=room&from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  { op: 'reportLogDeliveries', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/log/reports/deliveries?groupBy=state&from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  {
    op: 'getLogEventHistory',
    expect: [401, 200, 200, 200, 200, 200],
    prepare: (ctx) => logged(ctx, `/api/v1/log/events/${ctx.state.eventId}`, (b) => ((b.deliveries as { subscriber: string }[] | undefined) ?? []).some((d) => d.subscriber === OTHER)),
    request: (ctx, p) => get(`/api/v1/log/events/${ctx.state.eventId}`)(ctx, p),
  },
  {
    op: 'getLogEventProof',
    expect: [401, 200, 200, 200, 200, 200],
    prepare: (ctx) => logged(ctx, `/api/v1/log/events/${ctx.state.eventId}/proof`, () => true),
    request: (ctx, p) => get(`/api/v1/log/events/${ctx.state.eventId}/proof`)(ctx, p),
  },
  {
    op: 'getLogDeliveryProofs',
    expect: [401, 200, 200, 200, 200, 200],
    prepare: (ctx) => logged(ctx, `/api/v1/log/events/${ctx.state.eventId}/deliveries/proof`, (b) => (b.bundles as unknown[]).length > 0),
    request: (ctx, p) => get(`/api/v1/log/events/${ctx.state.eventId}/deliveries/proof`)(ctx, p),
  },
  { op: 'getLogKeys', expect: [200, 200, 200, 200, 200, 200], request: get('/api/v1/log/keys') },
  // Dead letters of the subscription (decision 0026): its subscriber, the subscriber's member
  // admin and the central admin may list, redrive and purge; the room owner's admin may list
  // and read a record but not act (403); anyone else does not see the subscription (404).
  { op: 'listDeadLetters', expect: [401, 200, 200, 404, 200, 200], request: (ctx, p) => get(`/api/v1/subscriptions/${ctx.ids.subscriptionId}/dead-letters`)(ctx, p) },
  { op: 'getDeadLetter', expect: [401, 404, 404, 404, 404, 404], request: (ctx, p) => get(`/api/v1/subscriptions/${ctx.ids.subscriptionId}/dead-letters/dl_0_999999`)(ctx, p) },
  {
    op: 'redriveDeadLetters',
    expect: [401, 200, 200, 404, 403, 200],
    request: (ctx) => ({ method: 'POST', path: `/api/v1/subscriptions/${ctx.ids.subscriptionId}/dead-letters/redrive`, body: { dryRun: true } }),
  },
  {
    op: 'purgeDeadLetters',
    expect: [401, 200, 200, 404, 403, 200],
    request: (ctx) => ({ method: 'POST', path: `/api/v1/subscriptions/${ctx.ids.subscriptionId}/dead-letters/purge`, body: { ids: ['dl_0_999999'] } }),
    after: (ctx, _, res) => {
      if (res.status === 200) ctx.state.purgeId = String(res.body.id);
    },
  },
  { op: 'listRedrives', expect: [401, 200, 200, 404, 200, 200], request: (ctx, p) => get(`/api/v1/subscriptions/${ctx.ids.subscriptionId}/redrives`)(ctx, p) },
  { op: 'getRedrive', expect: [401, 200, 200, 404, 200, 200], request: (ctx, p) => get(`/api/v1/subscriptions/${ctx.ids.subscriptionId}/redrives/${ctx.state.purgeId}`)(ctx, p) },
  // Environmental monitoring: every caller with a key gets an answer; only the global admin and
  // the central monitoring clients see every field (the others the public subset, decision 0030).
  { op: 'getEnvironment', expect: [401, 200, 200, 200, 200, 200], request: get('/api/v1/monitoring/environment') },
  { op: 'getEnvironmentHistory', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/monitoring/environment/history?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  // Operational monitoring: scoped like the message log (decision 0031).
  { op: 'monitorRooms', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/monitoring/operational/rooms?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  { op: 'monitorEventTypes', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/monitoring/operational/event-types?bucket=minute&from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  { op: 'monitorSubscriptions', expect: [401, 200, 200, 200, 200, 200], request: get(`/api/v1/monitoring/operational/subscriptions?from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`) },
  { op: 'monitorBacklog', expect: [401, 200, 200, 200, 200, 200], request: get('/api/v1/monitoring/operational/backlog') },
  {
    op: 'publishEventBatch',
    // Same rule as a single publish; a stored batch answers 200 with per-item results.
    expect: [401, 403, 403, 200, 403, 403],
    request: (_, p) => ({ method: 'POST', path: `${ROOM}/pub/v1/${DEMO.eventType}/batch`, client: clientOf(p), body: { events: [{ eventType: DEMO.eventType, event: DEMO.sampleEvent }] } }),
  },

  {
    // Live stream: only the subscribing application itself (admins may not read its events);
    // clinic-a has no subscription yet. maxSeconds=1 ends an allowed stream, so the call returns.
    op: 'streamEvents',
    expect: [401, 200, 403, 404, 403, 403],
    request: get(`${ROOM}/stream/v1/${DEMO.eventType}?maxSeconds=1`),
  },
  {
    // Naming another member's application: refused for everyone but the global admin.
    op: 'publishEvent',
    expect: [401, 403, 403, 403, 403, 403],
    request: (_, p) => ({ method: 'POST', path: `${ROOM}/pub/v1/${DEMO.eventType}`, client: p === 'ownerApp' || p === 'ownerAdmin' ? OTHER : OWNER, body: { eventType: DEMO.eventType, event: DEMO.sampleEvent } }),
  },
  {
    op: 'getSub',
    // (clinic-a has no subscription yet: the global admin sees that.)
    expect: [401, 403, 403, 403, 403, 404],
    request: (_, p) => ({ method: 'GET', path: `${ROOM}/api/v1/subs/${DEMO.eventType}`, client: p === 'ownerApp' || p === 'ownerAdmin' ? OTHER : OWNER }),
  },

  // Subscriptions (GovStack): X-GovStack-Client is the subscriber; another's looks missing.
  { op: 'listSub', expect: [401, 200, 200, 404, 404, 200], request: get(`${ROOM}/api/v1/subs`) },
  {
    op: 'addSub',
    expect: [401, 409, 409, 200, 409, 409],
    request: (_, p) => ({ method: 'POST', path: `${ROOM}/api/v1/subs/${DEMO.eventType}`, client: clientOf(p), body: { eventType: DEMO.eventType, delivery: 'PULL' } }),
  },
  { op: 'getSub', expect: [401, 200, 200, 200, 200, 200], request: get(`${ROOM}/api/v1/subs/${DEMO.eventType}`) },
  {
    op: 'patchSub',
    expect: [401, 201, 201, 201, 201, 201],
    request: (_, p) => ({ method: 'PATCH', path: `${ROOM}/api/v1/subs/${DEMO.eventType}`, client: clientOf(p), body: { options: { TTL: 7200 } } }),
  },
  { op: 'rotateSubSecret', expect: [401, 200, 200, 200, 200, 200], request: (_, p) => ({ method: 'POST', path: `${ROOM}/api/v1/subs/${DEMO.eventType}/secret`, client: clientOf(p), body: {} }) },

  // Subscriptions (room owner's side), addressed by id.
  { op: 'listRoomSubscriptions', expect: [401, 403, 404, 403, 200, 200], request: (ctx, p) => get(`${A}/rooms/${ctx.ids.roomId}/subscriptions`)(ctx, p) },
  { op: 'getSubscriptionForOwner', expect: [401, 403, 404, 403, 200, 200], request: (ctx, p) => get(`${A}/subscriptions/${ctx.ids.subscriptionId}`)(ctx, p) },
  { op: 'pauseSubscription', expect: [401, 403, 404, 403, 200, 409], request: (ctx) => ({ method: 'POST', path: `${A}/subscriptions/${ctx.ids.subscriptionId}/pause`, body: {} }) },
  // (Paused by the row above: a dry run counts and moves nothing, so both admins get 200.)
  {
    op: 'replaySubscription',
    expect: [401, 403, 404, 403, 200, 200],
    request: (ctx) => ({ method: 'POST', path: `${A}/subscriptions/${ctx.ids.subscriptionId}/replay`, body: { from: 'earliest', dryRun: true } }),
  },
  { op: 'resumeSubscription', expect: [401, 403, 404, 403, 200, 409], request: (ctx) => ({ method: 'POST', path: `${A}/subscriptions/${ctx.ids.subscriptionId}/resume` }) },
  {
    op: 'rejectSubscription',
    expect: [401, 403, 404, 403, 200, 409],
    prepare: async (ctx) => {
      ctx.state.ownSub = String((await ctx.call('GET', `${ROOM}/api/v1/subs/${DEMO.eventType}`, undefined, OWNER)).body.id);
    },
    request: (ctx) => ({ method: 'POST', path: `${A}/subscriptions/${ctx.state.ownSub}/reject`, body: {} }),
  },
  { op: 'approveSubscription', expect: [401, 403, 404, 403, 200, 200], request: (ctx) => ({ method: 'POST', path: `${A}/subscriptions/${ctx.state.ownSub}/approve` }) },
  // Pull (pull service): clinic-a's PULL subscription is ACTIVE now. Only the subscribing
  // application pulls; admins may name it but never consume its queue; births-registry's
  // subscription is delivered by push (409).
  {
    op: 'pullEvent',
    expect: [401, 409, 403, 200, 403, 403],
    prepare: async (ctx) => {
      await pullableEvent(ctx);
    },
    request: get(PULL),
    after: (ctx, p, res) => {
      if (p === 'ownerApp') ctx.state.pulledId = String(res.body.id);
    },
  },
  { op: 'confirmEvent', expect: [401, 409, 403, 204, 403, 403], request: (ctx, p) => ({ method: 'DELETE', path: `${PULL}/${ctx.state.pulledId}`, client: clientOf(p) }) },
  { op: 'leaseEvents', expect: [401, 409, 403, 200, 403, 403], request: (_, p) => ({ method: 'POST', path: `${PULL}/lease`, client: clientOf(p), body: { max: 1 } }) },
  ...(['ack', 'nack', 'extend'] as const).map(
    (op): AccessCase => ({
      op: `${op}Events`,
      expect: [401, 409, 403, 200, 403, 403],
      request: (_, p) => ({ method: 'POST', path: `${PULL}/${op}`, client: clientOf(p), body: { receipts: ['not-a-receipt'] } }),
    }),
  ),
  { op: 'deleteSub', expect: [401, 204, 404, 204, 404, 404], request: (_, p) => ({ method: 'DELETE', path: `${ROOM}/api/v1/subs/${DEMO.eventType}`, client: clientOf(p) }) },

  // Endpoint allowlist: global admin only.
  { op: 'listEndpointAllowlist', expect: [401, 403, 403, 403, 403, 200], request: get(`${A}/endpoint-allowlist`) },
  {
    op: 'addEndpointAllowlistEntry',
    expect: [401, 403, 403, 403, 403, 201],
    request: () => ({ method: 'POST', path: `${A}/endpoint-allowlist`, body: { pattern: 'partner.example', reason: 'access suite' } }),
    after: (ctx, p, res) => {
      if (p === 'globalAdmin') ctx.state.allowEntry = String(res.body.id);
    },
  },
  { op: 'removeEndpointAllowlistEntry', expect: [401, 403, 403, 403, 403, 204], request: (ctx) => ({ method: 'DELETE', path: `${A}/endpoint-allowlist/${ctx.state.allowEntry}` }) },

  // Members: anyone may apply; admins read; the global admin registers and decides.
  {
    op: 'applyMember',
    expect: [201, 201, 201, 201, 201, 201],
    request: (_, p) => ({ method: 'POST', path: `${A}/members/apply`, body: { instance: 'DEV', memberClass: 'GOV', memberCode: `AP-${p}`, name: `Applicant ${p}` } }),
  },
  { op: 'createMember', expect: [401, 403, 403, 403, 403, 201], request: () => ({ method: 'POST', path: `${A}/members`, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'ACC', name: 'Access suite' } }) },
  { op: 'listMembers', expect: [401, 403, 200, 403, 200, 200], request: get(`${A}/members`) },
  { op: 'getMember', expect: [401, 403, 404, 403, 200, 200], request: (ctx, p) => get(`${A}/members/${ctx.ids.ownerMemberId}`)(ctx, p) },
  ...(['approveMember', 'rejectMember'] as const).map(
    (op): AccessCase => ({
      op,
      expect: [401, 403, 403, 403, 403, 200],
      prepare: async (ctx) => {
        ctx.state.applicant = await applyMember(ctx, `ACC-${op}`);
      },
      request: (ctx) => ({ method: 'POST', path: `${A}/members/${ctx.state.applicant}/${op === 'approveMember' ? 'approve' : 'reject'}`, body: {} }),
    }),
  ),

  // Applications: the member's admin applies, the global admin approves.
  {
    op: 'createApplication',
    expect: [401, 403, 404, 403, 201, 201],
    request: (ctx, p) => ({ method: 'POST', path: `${A}/members/${ctx.ids.ownerMemberId}/applications`, body: { code: `acc-${p.toLowerCase()}` } }),
  },
  { op: 'listMemberApplications', expect: [401, 403, 404, 403, 200, 200], request: (ctx, p) => get(`${A}/members/${ctx.ids.ownerMemberId}/applications`)(ctx, p) },
  { op: 'listApplications', expect: [401, 403, 200, 403, 200, 200], request: get(`${A}/applications`) },
  { op: 'getApplication', expect: [401, 403, 404, 403, 200, 200], request: (ctx, p) => get(`${A}/applications/${ctx.ids.clinicAppId}`)(ctx, p) },
  ...(['approveApplication', 'rejectApplication'] as const).map(
    (op): AccessCase => ({
      op,
      expect: [401, 403, 403, 403, 403, 200],
      prepare: async (ctx) => {
        ctx.state.pendingApp = await pendingApplication(ctx, `acc-${op.toLowerCase()}`);
      },
      request: (ctx) => ({ method: 'POST', path: `${A}/applications/${ctx.state.pendingApp}/${op === 'approveApplication' ? 'approve' : 'reject'}`, body: {} }),
    }),
  ),

  // Keys: application keys by the member's admin; admin keys by the global admin.
  {
    op: 'issueApplicationKey',
    expect: [401, 403, 404, 403, 201, 201],
    request: (ctx) => ({ method: 'POST', path: `${A}/applications/${ctx.ids.clinicAppId}/keys`, body: { label: 'access suite' } }),
    after: (ctx, p, res) => {
      if (p === 'ownerAdmin') ctx.state.spareKey = String(res.body.id);
    },
  },
  { op: 'listApplicationKeys', expect: [401, 403, 404, 403, 200, 200], request: (ctx, p) => get(`${A}/applications/${ctx.ids.clinicAppId}/keys`)(ctx, p) },
  { op: 'issueMemberAdminKey', expect: [401, 403, 403, 403, 403, 201], request: (ctx) => ({ method: 'POST', path: `${A}/members/${ctx.ids.ownerMemberId}/keys`, body: {} }) },
  { op: 'listMemberAdminKeys', expect: [401, 403, 403, 403, 403, 200], request: (ctx, p) => get(`${A}/members/${ctx.ids.ownerMemberId}/keys`)(ctx, p) },
  { op: 'issueGlobalAdminKey', expect: [401, 403, 403, 403, 403, 201], request: () => ({ method: 'POST', path: `${A}/admin-keys`, body: {} }) },
  { op: 'listGlobalAdminKeys', expect: [401, 403, 403, 403, 403, 200], request: get(`${A}/admin-keys`) },
  { op: 'revokeApiKey', expect: [401, 403, 404, 403, 200, 200], request: (ctx) => ({ method: 'POST', path: `${A}/keys/${ctx.state.spareKey}/revoke` }) },
];
