// Redis 7 from Debian on 127.0.0.1:16379, with append-only persistence in the component folder.
//
// Not daemonized: we spawn it detached ourselves, so the pid we store is the server's.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component.ts';
import { pidFile } from './component.ts';
import type { InfraEndpoints } from './config.ts';
import { componentDir, hostPort, PORTS } from './config.ts';
import { hasCommand, run, spawnDetached } from './proc.ts';
import { redisPing } from './ready.ts';

const dir = componentDir('redis');
const logFile = join(dir, 'redis.log');
const stdoutFile = join(dir, 'redis.stdout.log');

export const redis: Component = {
  name: 'redis',
  dependsOn: [],
  ports: [PORTS.redis],
  // Right after exec the command line holds our arguments; redis then rewrites its title to "redis-server 127.0.0.1:16379".
  marker: [`--port ${PORTS.redis}`, `127.0.0.1:${PORTS.redis}`],
  startTimeoutMs: 20_000,
  stopSignal: 'SIGTERM',
  address: (ep) => new URL(ep.redisUrl).host,
  ready: (ep: InfraEndpoints) => {
    const url = new URL(ep.redisUrl);
    const { host, port } = hostPort(url.host, 6379);
    return redisPing(host, port, url.password ? decodeURIComponent(url.password) : undefined);
  },
  apt: { pkg: 'redis-server', present: () => hasCommand('redis-server') },
  install: async () => {
    mkdirSync(dir, { recursive: true });
  },
  start: async () =>
    spawnDetached(
      'redis-server',
      [
        '--bind', '127.0.0.1',
        '--port', String(PORTS.redis),
        '--daemonize', 'no',
        '--dir', dir,
        '--logfile', logFile,
        '--pidfile', join(dir, 'redis-server.pid'),
        '--appendonly', 'yes',
        '--save', '',
      ],
      { cwd: dir, logFile: stdoutFile, pidFile: pidFile(redis) },
    ),
  version: async () => {
    const { stdout } = await run('redis-server', ['--version']);
    return /v=(\S+)/.exec(stdout)?.[1] ?? stdout.trim();
  },
  logFiles: () => [logFile],
};
