// Prometheus from Debian on 127.0.0.1:19090, scraping Roomcast (see infra/prometheus/prometheus.yml).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component.ts';
import { pidFile } from './component.ts';
import { componentDir, INFRA_SRC, PORTS } from './config.ts';
import { hasCommand, run, spawnDetached } from './proc.ts';
import { httpOk } from './ready.ts';

const dir = componentDir('prometheus');
const logFile = join(dir, 'prometheus.log');
const configFile = join(INFRA_SRC, 'prometheus', 'prometheus.yml');

export const prometheus: Component = {
  name: 'prometheus',
  dependsOn: [],
  ports: [PORTS.prometheus],
  marker: configFile,
  startTimeoutMs: 30_000,
  stopSignal: 'SIGTERM',
  address: (ep) => new URL(ep.prometheusUrl).host,
  ready: (ep) => httpOk(`${ep.prometheusUrl}/-/ready`),
  apt: { pkg: 'prometheus', present: () => hasCommand('prometheus') },
  install: async () => {
    mkdirSync(join(dir, 'data'), { recursive: true });
  },
  start: async () =>
    spawnDetached(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
        // Lets `curl -X POST /-/reload` pick up edits to prometheus.yml without a restart.
        '--web.enable-lifecycle',
      ],
      { cwd: dir, logFile, pidFile: pidFile(prometheus) },
    ),
  version: async () => {
    const { stdout, stderr } = await run('prometheus', ['--version']);
    return /version (\S+)/.exec(stdout + stderr)?.[1] ?? 'unknown';
  },
  logFiles: () => [logFile],
};
