// Apicurio Registry 3.3 (Confluent-compatible API under /apis/ccompat/v7) on 127.0.0.1:18081.
//
// Its default storage is in-memory H2, which forgets schemas and their ids on restart while
// records in Kafka still carry those ids; so it stores into PostgreSQL (database `apicurio`).
// The runnable Quarkus app comes from Maven Central as a tar.gz (~160 MB, cached in ~/.m2).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component.ts';
import { pidFile } from './component.ts';
import type { InfraEndpoints } from './config.ts';
import { componentDir, infraEndpoints, PORTS, VERSIONS } from './config.ts';
import { javaFor, ensureMaven, installDir, mvn } from './install.ts';
import { run, spawnDetached } from './proc.ts';
import { httpOk } from './ready.ts';

const dir = componentDir('registry');
const downloadDir = join(dir, 'download');
const appDir = join(dir, 'app');
const runJar = join(appDir, 'quarkus-run.jar');
const logFile = join(dir, 'registry.log');
const ARTIFACT = `io.apicurio:apicurio-registry-app:${VERSIONS.registry}:tar.gz:all`;

async function ensureApp(): Promise<void> {
  if (existsSync(runJar)) return;
  const tarball = (): string | undefined => {
    const f = existsSync(downloadDir) ? readdirSync(downloadDir).find((n) => n.endsWith('.tar.gz')) : undefined;
    return f && join(downloadDir, f);
  };
  if (!tarball()) {
    await ensureMaven();
    await mvn(['dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${downloadDir}`]);
  }
  const archive = tarball();
  if (!archive) throw new Error(`registry: Maven did not produce ${ARTIFACT} in ${downloadDir}`);
  await installDir(appDir, (tmp) => run('tar', ['xzf', archive, '-C', tmp]).then(() => undefined));
}

/** Apicurio's SQL storage goes to the same PostgreSQL server as the app, database `apicurio`. */
function datasource(): string[] {
  const db = new URL(infraEndpoints().databaseUrl);
  return [
    '-Dapicurio.storage.kind=sql',
    '-Dapicurio.storage.sql.kind=postgresql',
    `-Dapicurio.datasource.url=jdbc:postgresql://${db.host}/apicurio`,
    `-Dapicurio.datasource.username=${decodeURIComponent(db.username)}`,
    `-Dapicurio.datasource.password=${decodeURIComponent(db.password)}`,
    // The defaults (20 idle, 100 max) are sized for production, not a laptop.
    '-Dapicurio.datasource.jdbc.initial-size=2',
    '-Dapicurio.datasource.jdbc.min-size=2',
    '-Dapicurio.datasource.jdbc.max-size=20',
  ];
}

function baseUrl(ep: InfraEndpoints): string {
  return ep.registryUrl.replace(/\/apis\/ccompat\/v\d+$/, '');
}

/** Apicurio 3.3 is compiled for Java 21; resolved by `install`, which always runs before `start`. */
let java = 'java';

export const registry: Component = {
  name: 'registry',
  dependsOn: ['postgres'],
  ports: [PORTS.registry, PORTS.registryManagement],
  marker: runJar,
  startTimeoutMs: 90_000,
  stopSignal: 'SIGTERM',
  address: (ep) => new URL(ep.registryUrl).host,
  ready: (ep) => httpOk(`${ep.registryUrl}/subjects`),
  install: async (log) => {
    java = await javaFor(21, log);
    mkdirSync(dir, { recursive: true });
    await ensureApp();
  },
  start: async () =>
    spawnDetached(
      java,
      [
        '-Xms128m',
        '-Xmx512m',
        '-Djava.awt.headless=true',
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${PORTS.registry}`,
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${PORTS.registryManagement}`,
        ...datasource(),
        `-Dapicurio.storage.snapshot.location=${dir}`,
        '-Dapicurio.rules.global.compatibility=BACKWARD',
        // Same schema text in another whitespace/field order gets the same id, as in Confluent's registry.
        '-Dapicurio.ccompat.use-canonical-hash=true',
        '-jar',
        runJar,
      ],
      { cwd: appDir, logFile, pidFile: pidFile(registry) },
    ),
  version: async (ep) => {
    const res = await fetch(`${baseUrl(ep)}/apis/registry/v3/system/info`, { signal: AbortSignal.timeout(2_000) });
    const info = (await res.json()) as { version?: string };
    return info.version ?? 'unknown';
  },
  logFiles: () => [logFile],
};
