/**
 * The control plane as one unit: routes, OpenAPI paths and startup steps. `controlPlaneUnit`
 * builds it from `controlPlaneConfigSpec` (config.ts); `main.ts` runs it alone, services/all
 * beside the data plane in one process.
 */
import type { Logger, MasterKey } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import { createDb, probeDb } from '@roomcast/db';
import { ApiRouter, type OpenApiPaths } from '@roomcast/http';
import { type FeedbackReader, followFeedback, processRegistryStore } from '@roomcast/redis';
import { masterKeysOf, type Runtime, type Unit } from '@roomcast/runtime';
import { applyLimitsFromConfig, type ControlPlaneConfig } from './config.ts';
import type { Hono } from 'hono';
import { auditRoutes } from './audit/audit-routes.ts';
import { configRoutes } from './configuration/config-routes.ts';
import { rightsRoutes } from './configuration/rights-routes.ts';
import { directoryRoutes } from './directory/directory-routes.ts';
import { ApiKeys } from './identity/api-keys.ts';
import { type ApplyLimits, ApplyThrottle, DEFAULT_APPLY_LIMITS } from './identity/apply-throttle.ts';
import { identityRoutes } from './identity/identity-routes.ts';
import { dependencyVersions } from './monitoring/dependencies.ts';
import { EnvironmentCollector } from './monitoring/environment-collector.ts';
import { environmentRoutes } from './monitoring/environment-routes.ts';
import { EnvironmentStore } from './monitoring/environment-store.ts';
import { publicFieldsOf, type Visibility } from './monitoring/environment-view.ts';
import { publisherRoutes } from './publishers/publisher-routes.ts';
import { dataKeyRoutes } from './rooms/data-key-routes.ts';
import { eventTypeRoutes } from './rooms/event-type-routes.ts';
import { roomRoutes } from './rooms/room-routes.ts';
import { routingPublisher } from './routing/routing-publisher.ts';
import { ControlPlane } from './service.ts';
import { allowlistRoutes } from './subscriptions/allowlist-routes.ts';
import { subscriptionAdminRoutes } from './subscriptions/subscription-admin-routes.ts';
import { subscriptionRoutes } from './subscriptions/subscription-routes.ts';


export interface ControlPlaneOptions {
  runtime: Runtime;
  db: PrismaClient;
  logger: Logger;
  bootstrapAdminKey: string | undefined;
  retentionMs: number;
  defaultPartitions: number;
  devMode: boolean;
  /** Throttle of anonymous member applications (ROOMCAST_APPLY_*). */
  applyLimits?: ApplyLimits;
  /** ROOMCAST_PUBLIC_BASE_URL; unset: the listening address given to `listening()`. */
  publicBaseUrl?: string | undefined;
  /** Current master key first, then previous ones; absent or empty: classified event types are refused. */
  masterKeys?: MasterKey[];
  /** Environmental monitoring: how often the registry is read, how long samples stay, who sees what, the discovery file. */
  environment?: EnvironmentOptions;
}

export interface EnvironmentOptions {
  intervalMs: number;
  retentionMs: number;
  visibility: Visibility;
  sdFile?: string | undefined;
  /** The schema registry's URL, asked for its version. */
  registryUrl: string;
}

const DEFAULT_ENVIRONMENT: EnvironmentOptions = { intervalMs: 10_000, retentionMs: 30 * 86_400_000, visibility: { monitoringClients: [], publicFields: [] }, registryUrl: '' };

export interface ControlPlaneUnit extends Unit {
  service: ControlPlane;
  routes: Hono[];
  /** OpenAPI paths of every control-plane route. */
  openapi: OpenApiPaths;
  checks: Record<string, () => Promise<void>>;
  /** The address the process serves on, used for public URLs when no public base URL is configured. */
  listening(url: string): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createControlPlane(o: ControlPlaneOptions): ControlPlaneUnit {
  const { runtime, db } = o;
  const routing = routingPublisher(db, runtime.names, runtime.redis, runtime.keys, runtime.contractKeys, o.logger);
  let listeningAt = 'http://127.0.0.1';
  const service = new ControlPlane({
    publicOrigin: () => o.publicBaseUrl ?? listeningAt,
    db,
    logger: o.logger,
    registry: runtime.registry,
    kafka: runtime.kafka,
    names: runtime.names,
    redis: runtime.redis,
    keys: runtime.keys,
    routing,
    retentionMs: o.retentionMs,
    defaultPartitions: o.defaultPartitions,
    devMode: o.devMode,
    masterKeys: o.masterKeys ?? [],
  });
  const keys = new ApiKeys({ db, routing, usage: runtime.keyUsage });
  // The control plane authenticates against Postgres directly: it is not on the per-event path.
  const resolve = keys.resolver();
  // Every route is declared on one router: it validates requests, audits changes and
  // describes itself in OpenAPI from the same definitions. Each area adds its routes here.
  let feedback: FeedbackReader | undefined;
  const router = new ApiRouter({ resolve, certificate: keys.certificateResolver(), audit: service.audit.sink() });
  auditRoutes(router, service.audit);
  roomRoutes(router, service.rooms);
  dataKeyRoutes(router, service.rooms, service.dataKeys);
  eventTypeRoutes(router, service.eventTypes);
  publisherRoutes(router, service.rooms, service.publishers);
  directoryRoutes(router, service.directory);
  configRoutes(router, service.configuration, { ...runtime.checks, postgres: () => probeDb(db) });
  rightsRoutes(router, service.configuration);
  subscriptionRoutes(router, service.subscriptions);
  subscriptionAdminRoutes(router, service.subscriptions, service.replay);
  allowlistRoutes(router, service.allowlist);
  const env = o.environment ?? DEFAULT_ENVIRONMENT;
  const environmentStore = new EnvironmentStore(db);
  const collector = new EnvironmentCollector({
    store: environmentStore,
    registry: processRegistryStore(runtime.redis, runtime.keys),
    logger: o.logger,
    metrics: runtime.metrics,
    intervalMs: env.intervalMs,
    retentionMs: env.retentionMs,
    sdFile: env.sdFile,
  });
  environmentRoutes(router, { collector, store: environmentStore, visibility: env.visibility });
  identityRoutes(router, service.identity, keys, new ApplyThrottle({ redis: runtime.redis, keys: runtime.keys, db, metrics: runtime.metrics, limits: o.applyLimits ?? DEFAULT_APPLY_LIMITS }));
  return {
    name: 'control-plane',
    service,
    routes: [router.hono()],
    openapi: router.openapi(),
    checks: { postgres: () => probeDb(db) },
    dependencies: dependencyVersions({ db, redis: runtime.redis, kafka: runtime.kafka, registryUrl: env.registryUrl }),
    listening(url) {
      listeningAt = url.replace(/\/+$/, '');
      if (!o.publicBaseUrl && !o.devMode) o.logger.warn('ROOMCAST_PUBLIC_BASE_URL is not set: configuration and OpenAPI documents name the listening address', { url: listeningAt });
    },
    async start() {
      await service.dataKeys.rewrap();
      await sealSigningSecrets(service);
      if (o.bootstrapAdminKey) await keys.registerBootstrapAdmin(o.bootstrapAdminKey);
      else await routing.republish('control plane started');
      feedback = followDataPlaneFeedback(service, runtime, o.logger);
      collector.start();
    },
    async stop() {
      await collector.stop();
      await feedback?.stop();
    },
  };
}

/** The control plane from validated configuration: opens its database (closed with the runtime) and builds the unit. Migrations run before, in the composition root. */
export function controlPlaneUnit(config: ControlPlaneConfig, ctx: { runtime: Runtime; logger: Logger }): ControlPlaneUnit {
  const db = createDb({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
  ctx.runtime.onClose(() => db.$disconnect());
  return createControlPlane({
    runtime: ctx.runtime,
    db,
    logger: ctx.logger,
    bootstrapAdminKey: config.ROOMCAST_BOOTSTRAP_ADMIN_KEY,
    retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
    defaultPartitions: config.ROOMCAST_DEFAULT_PARTITIONS,
    devMode: config.ROOMCAST_DEV_MODE,
    publicBaseUrl: config.ROOMCAST_PUBLIC_BASE_URL,
    applyLimits: applyLimitsFromConfig(config),
    masterKeys: masterKeysOf(config),
    environment: {
      intervalMs: config.ROOMCAST_HEARTBEAT_INTERVAL_MS,
      retentionMs: config.ROOMCAST_ENVIRONMENT_RETENTION_DAYS * 86_400_000,
      visibility: { monitoringClients: config.ROOMCAST_MONITORING_CLIENTS ?? [], publicFields: publicFieldsOf(config.ROOMCAST_MONITORING_PUBLIC_FIELDS) },
      sdFile: config.ROOMCAST_PROMETHEUS_SD_FILE,
      registryUrl: config.ROOMCAST_REGISTRY_URL,
    },
  });
}

/** Applies the data plane's requests (decision 0016): a dispatcher whose endpoint answered 410 Gone asks for DISABLED. */
function followDataPlaneFeedback(service: ControlPlane, runtime: Runtime, logger: Logger): FeedbackReader {
  const subs = service.subscriptions;
  const audit = service.audit.sink();
  return followFeedback(
    runtime.redis,
    runtime.keys,
    'control-plane',
    async (req) => {
      if (req.kind !== 'disable-subscription') return;
      if (!(await subs.disableByPlatform(req.subscriptionId, req.reason))) return;
      logger.warn('subscription disabled: its endpoint is gone', { subscriptionId: req.subscriptionId, reason: req.reason });
      await audit({
        principal: undefined,
        action: 'subscription.disable',
        target: req.subscriptionId,
        member: undefined,
        outcome: 'SUCCESS',
        code: undefined,
        requestId: `data-plane:${req.at}`,
        detail: { reason: req.reason, by: 'dispatcher' },
      });
    },
    (err) => logger.warn('data-plane feedback not applied; retrying', { error: err }),
  );
}

/**
 * Seals signing secrets stored in clear (rows from before) or under a previous master key with
 * the current one, at start; the routing contract published next carries only sealed values.
 */
export async function sealSigningSecrets(cp: ControlPlane): Promise<void> {
  await cp.subscriptions.sealSigningSecrets();
}
