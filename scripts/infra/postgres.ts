// PostgreSQL 15 from Debian, run by hand (no systemd here) on 127.0.0.1:15432.
//
// PostgreSQL refuses to run as root, so when we are root the cluster belongs to the
// `postgres` OS user: spawn() switches uid/gid itself, which keeps the pid we store the
// postmaster's own (runuser would sit in between). The Unix socket lives in the component
// folder so setup can connect as superuser without a password and without /var/run.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component.ts';
import { pidFile } from './component.ts';
import type { InfraEndpoints } from './config.ts';
import { componentDir, hostPort, PORTS } from './config.ts';
import type { RunOptions } from './proc.ts';
import { run, spawnDetached } from './proc.ts';
import { tcpOpen } from './ready.ts';

const dir = componentDir('postgres');
const dataDir = join(dir, 'data');
const socketDir = join(dir, 'run');
const logFile = join(dir, 'postgres.log');
/** Databases created for the app and for Apicurio Registry's SQL storage. */
const DATABASES = ['roomcast', 'apicurio'];

/** Newest installed server, preferring the 15 the project targets. */
function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(`${base}/15/bin/postgres`)) return `${base}/15/bin`;
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(`${base}/${v}/bin/postgres`)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? `${base}/${newest}/bin` : undefined;
}

function bin(tool: string): string {
  const d = binDir();
  if (!d) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return join(d, tool);
}

/** uid/gid to run the server as: ourselves, or `postgres` when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('running as root needs the `postgres` OS user (created by the postgresql package)');
  return { uid: Number(uid), gid: Number(gid) };
}

function asServerUser(): RunOptions {
  const user = serverUser();
  // initdb and psql look up $HOME-relative files; root's home is not readable to them.
  return user ? { ...user, cwd: dir, env: { ...process.env, HOME: dir } } : { cwd: dir };
}

function ownDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const user = serverUser();
  if (user) chownSync(path, user.uid, user.gid);
}

async function initCluster(): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  ownDir(dataDir);
  // Local-socket trust is for setup only; TCP clients (the app, Apicurio) use passwords.
  await run(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--auth-local=trust', '--auth-host=scram-sha-256'], asServerUser());
}

const SETUP_SQL = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roomcast') THEN
    CREATE ROLE roomcast LOGIN SUPERUSER PASSWORD 'roomcast';
  END IF;
  -- The message log's role: read and append only (grants come with the log's migrations).
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roomcast_log') THEN
    CREATE ROLE roomcast_log LOGIN NOSUPERUSER PASSWORD 'roomcast_log';
  ELSE
    ALTER ROLE roomcast_log LOGIN PASSWORD 'roomcast_log';
  END IF;
END $$;
${DATABASES.map((db) => `SELECT 'CREATE DATABASE ${db} OWNER roomcast' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${db}')\\gexec`).join('\n')}
`;

export const postgres: Component = {
  name: 'postgres',
  dependsOn: [],
  ports: [PORTS.postgres],
  marker: dataDir,
  startTimeoutMs: 60_000,
  // SIGTERM is "smart" shutdown, which waits for every client to disconnect; SIGINT is "fast".
  stopSignal: 'SIGINT',
  address: (ep) => authority(ep),
  ready: async (ep) => {
    const { host, port } = hostPort(authority(ep), 5432);
    if (!binDir()) return tcpOpen(host, port);
    return run(bin('pg_isready'), ['-q', '-h', host, '-p', String(port), '-t', '2']).then(
      () => true,
      () => false,
    );
  },
  apt: { pkg: 'postgresql', present: async () => binDir() !== undefined },
  install: async () => {
    mkdirSync(dir, { recursive: true });
    await initCluster();
  },
  start: async () => {
    ownDir(socketDir);
    const user = serverUser();
    return spawnDetached(
      bin('postgres'),
      ['-D', dataDir, '-p', String(PORTS.postgres), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`],
      { cwd: dir, logFile, pidFile: pidFile(postgres), ...user },
    );
  },
  setup: async () => {
    const sqlFile = join(dir, 'setup.sql');
    writeFileSync(sqlFile, SETUP_SQL);
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(PORTS.postgres), '-U', 'postgres', '-d', 'postgres', '-f', sqlFile];
    await run(bin('psql'), args, asServerUser());
  },
  version: async () => {
    const { stdout } = await run(bin('postgres'), ['--version']);
    return /\d+(\.\d+)*/.exec(stdout)?.[0] ?? stdout.trim();
  },
  logFiles: () => [logFile],
};

function authority(ep: InfraEndpoints): string {
  return new URL(ep.databaseUrl).host;
}
