import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prometheusTargets, sdFileText, writeAtomically } from './prometheus-sd.ts';

describe('Prometheus file-based discovery', () => {
  it('gives one target per address with its roles, workers of one address merged, in a stable order', () => {
    const groups = prometheusTargets([
      { url: 'http://b-host:8081', roles: ['ingress'], host: 'b-host' },
      { url: 'http://a-host:8080', roles: ['pull'], host: 'a-host' },
      { url: 'http://b-host:8081', roles: ['ingress'], host: 'b-host' },
      { url: 'http://c-host:8082', roles: ['pull', 'control-plane'], host: 'c-host' },
    ]);
    expect(groups).toEqual([
      { targets: ['a-host:8080'], labels: { role: 'pull', host: 'a-host' } },
      { targets: ['b-host:8081'], labels: { role: 'ingress', host: 'b-host' } },
      { targets: ['c-host:8082'], labels: { role: 'control-plane,pull', host: 'c-host' } },
    ]);
  });

  it('keeps the scheme and a path prefix of the advertised URL', () => {
    expect(prometheusTargets([{ url: 'https://edge.example.org/roomcast', roles: ['ingress'], host: 'h' }])).toEqual([
      { targets: ['edge.example.org'], labels: { role: 'ingress', host: 'h', __scheme__: 'https', __metrics_path__: '/roomcast/metrics' } },
    ]);
  });

  it('replaces the file in one rename, leaving no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roomcast-sd-'));
    const file = join(dir, 'targets', 'roomcast.json');
    await writeAtomically(file, sdFileText([{ targets: ['a:1'], labels: { role: 'pull', host: 'a' } }]));
    await writeAtomically(file, sdFileText([]));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([]);
    expect(await readdir(join(dir, 'targets'))).toEqual(['roomcast.json']);
  });
});
