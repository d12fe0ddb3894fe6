// PostgreSQL 15 from Debian, run by hand (no systemd here) on 127.0.0.1:15432.
//
// PostgreSQL refuses to run as root, so when we are root the cluster belongs to the
// `postgres` OS user: spawn() switches uid/gid itself, which keeps the pid we store the
// postmaster's own (runuser would sit in between). The Unix socket lives in the component
// folder so setup can connect as superuser without a password and without /var/run.
//
// That user must be able to enter every folder above the cluster's. A clone in a private
// folder (under /root, or any 0700 parent) does not let it, so then the cluster lives in the
// postgres user's home instead, one folder per clone (`serverDir`).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Component } from './component.ts';
import { pidFile } from './component.ts';
import type { InfraEndpoints } from './config.ts';
import { componentDir, hostPort, PORTS, ROOT } from './config.ts';
import type { RunOptions } from './proc.ts';
import { run, spawnDetached } from './proc.ts';
import { tcpOpen } from './ready.ts';

/** The `postgres` OS user as passwd has it: ids and home. */
export function postgresUser(): { uid: number; gid: number; home: string } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid, , home] = line?.split(':') ?? [];
  return uid && gid && home ? { uid: Number(uid), gid: Number(gid), home } : undefined;
}

/** Whether that user can enter `path` (every folder above it lets it through). */
export function userCanEnter(path: string, user: { uid: number; gid: number }): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', path], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/**
 * The folder of the cluster of the clone at `root`: its own `.local/infra/postgres` when the
 * server's user can reach the clone (or we are not root), else a folder named after the clone
 * in that user's home (`<home>/roomcast/<clone name>-<digest of its path>`), so two clones never
 * share a cluster and the choice is the same on every run.
 */
export function serverDir(root: string, localDir: string, user: { home: string } | undefined, canEnterRoot: () => boolean): string {
  if (!user || canEnterRoot()) return localDir;
  const digest = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return join(user.home, 'roomcast', `${basename(root)}-${digest}`);
}

let chosen: string | undefined;
/**
 * The cluster's folders, chosen on first use once the `postgres` user exists (it comes with the
 * package, which `up` may install first), then the same for the rest of the process.
 */
function paths(): { dir: string; dataDir: string; socketDir: string; logFile: string } {
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? postgresUser() : undefined;
  const dir = chosen ?? serverDir(ROOT, componentDir('postgres'), user, () => (user ? userCanEnter(ROOT, user) : true));
  if (!asRoot || user) chosen = dir;
  return { dir, dataDir: join(dir, 'data'), socketDir: join(dir, 'run'), logFile: join(dir, 'postgres.log') };
}
/** Databases created for the app and for Apicurio Registry's SQL storage. */
const DATABASES = ['roomcast', 'apicurio'];

/** Newest installed server, preferring the 15 the project targets. */
export function binDir(): string | undefined {
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
  const user = postgresUser();
  if (!user) throw new Error('running as root needs the `postgres` OS user (created by the postgresql package)');
  return { uid: user.uid, gid: user.gid };
}

function asServerUser(): RunOptions {
  const user = serverUser();
  // initdb and psql look up $HOME-relative files; root's home is not readable to them.
  const { dir } = paths();
  return user ? { ...user, cwd: dir, env: { ...process.env, HOME: dir } } : { cwd: dir };
}

function ownDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const user = serverUser();
  if (user) chownSync(path, user.uid, user.gid);
}

async function initCluster(): Promise<void> {
  const { dataDir } = paths();
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
  get marker() {
    return paths().dataDir;
  },
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
    mkdirSync(componentDir('postgres'), { recursive: true });
    const { dir } = paths();
    if (dir !== componentDir('postgres')) {
      // Outside the clone: the server's user owns the way down to its folder.
      ownDir(join(dir, '..'));
      ownDir(dir);
    } else mkdirSync(dir, { recursive: true });
    await initCluster();
  },
  start: async () => {
    const { dir, dataDir, socketDir, logFile } = paths();
    ownDir(socketDir);
    const user = serverUser();
    return spawnDetached(
      bin('postgres'),
      ['-D', dataDir, '-p', String(PORTS.postgres), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`],
      { cwd: dir, logFile, pidFile: pidFile(postgres), ...user },
    );
  },
  setup: async () => {
    const { dir, socketDir } = paths();
    const sqlFile = join(dir, 'setup.sql');
    writeFileSync(sqlFile, SETUP_SQL);
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(PORTS.postgres), '-U', 'postgres', '-d', 'postgres', '-f', sqlFile];
    await run(bin('psql'), args, asServerUser());
  },
  version: async () => {
    const { stdout } = await run(bin('postgres'), ['--version']);
    return /\d+(\.\d+)*/.exec(stdout)?.[0] ?? stdout.trim();
  },
  logFiles: () => [paths().logFile],
};

function authority(ep: InfraEndpoints): string {
  return new URL(ep.databaseUrl).host;
}
