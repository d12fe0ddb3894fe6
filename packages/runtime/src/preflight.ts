/**
 * Start-up checks: before a process migrates, connects or serves, it looks once at every
 * dependency it needs, in parallel and with a short timeout. A dependency that cannot be
 * reached ends the process with one line per failure on stderr — what was tried (credentials
 * masked), the setting to fix and the cause — and exit code 3, instead of a stack trace or a
 * client library retrying for minutes. (Config errors exit 2, see runMain.)
 */
import { probeDatabaseUrl } from '@roomcast/db';
import { countBrokers, type KafkaSecurity, probeBrokers } from '@roomcast/kafka';
import { probeRedisUrl } from '@roomcast/redis';
import { createRegistry } from '@roomcast/registry';
import { MIN_ISR_SETTING, type ReplicationSettings, RF_SETTING, resolveReplication } from './replication.ts';
import { kafkaSecurityOf, type RegistryAuth, registryAuthOf, replicationOf } from './runtime.ts';

export interface DependencyProbe {
  /** What is checked, for the message: "PostgreSQL", "Kafka", … */
  dependency: string;
  /** The setting that names it. */
  setting: string;
  /** What was tried (shown with credentials masked). */
  target: string;
  probe(timeoutMs: number): Promise<void>;
}

/** Thrown by `preflight`: every dependency that failed, one message line each. */
export class DependencyError extends Error {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(lines.join('\n'));
    this.name = 'DependencyError';
    this.lines = lines;
  }
}

/** A URL or broker list with any password replaced by ***. */
export function maskCredentials(target: string): string {
  return target.replace(/(\/\/[^:/@\s]*:)[^@/\s]*@/g, '$1***@');
}

function causeOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    const message = e instanceof Error ? e.message || e.name : String(e);
    if (message && !parts.includes(message)) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return (parts.join(': ') || 'no answer').replace(/\s+/g, ' ').slice(0, 300);
}

/** Runs every probe; throws a `DependencyError` naming each one that failed. */
export async function preflight(probes: DependencyProbe[], timeoutMs = 5000): Promise<void> {
  const results = await Promise.all(
    probes.map(async (p) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([p.probe(timeoutMs), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 1000)))]);
        return undefined;
      } catch (err) {
        return `roomcast: cannot use ${p.dependency} at ${maskCredentials(p.target)} — check ${p.setting}: ${causeOf(err)}`;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const lines = results.filter((l): l is string => l !== undefined);
  if (lines.length > 0) throw new DependencyError(lines);
}

export const postgresProbe = (setting: string, url: string): DependencyProbe => ({ dependency: 'PostgreSQL', setting, target: url, probe: (ms) => probeDatabaseUrl(url, ms) });
export const redisProbe = (url: string): DependencyProbe => ({ dependency: 'Redis', setting: 'ROOMCAST_REDIS_URL', target: url, probe: (ms) => probeRedisUrl(url, ms) });
export const kafkaProbe = (brokers: string[], security?: KafkaSecurity): DependencyProbe => ({
  dependency: 'Kafka',
  setting: security ? 'ROOMCAST_KAFKA_BROKERS and ROOMCAST_KAFKA_TLS/_SASL_*' : 'ROOMCAST_KAFKA_BROKERS',
  target: brokers.join(','),
  probe: (ms) => probeBrokers(brokers, ms, security),
});
/**
 * The topic replication settings against the cluster's brokers. An unreachable cluster passes
 * here: the Kafka probe reports it, once.
 */
export const replicationProbe = (brokers: string[], settings: ReplicationSettings, security?: KafkaSecurity): DependencyProbe => ({
  dependency: 'Kafka',
  setting: `${RF_SETTING} / ${MIN_ISR_SETTING}`,
  target: brokers.join(','),
  probe: async (ms) => {
    const count = await countBrokers(brokers, ms, security).catch(() => undefined);
    if (count === undefined) return;
    const r = resolveReplication(settings, count);
    if (!r.ok) throw new Error(r.problems.join(' '));
  },
});

export const registryProbe = (url: string, auth?: RegistryAuth): DependencyProbe => ({
  dependency: 'the schema registry',
  setting: 'ROOMCAST_REGISTRY_URL',
  target: url,
  probe: (ms) => createRegistry({ url, timeoutMs: ms, auth }).probe(),
});

/** The probes of the shared runtime (Kafka, Redis, registry) for a loaded common config. */
export function runtimeProbes(
  config: { ROOMCAST_KAFKA_BROKERS: string[]; ROOMCAST_REDIS_URL: string; ROOMCAST_REGISTRY_URL: string } & Parameters<typeof registryAuthOf>[0] &
    Parameters<typeof kafkaSecurityOf>[0] &
    Parameters<typeof replicationOf>[0],
): DependencyProbe[] {
  const security = kafkaSecurityOf(config);
  return [
    kafkaProbe(config.ROOMCAST_KAFKA_BROKERS, security),
    replicationProbe(config.ROOMCAST_KAFKA_BROKERS, replicationOf(config), security),
    redisProbe(config.ROOMCAST_REDIS_URL),
    registryProbe(config.ROOMCAST_REGISTRY_URL, registryAuthOf(config)),
  ];
}
