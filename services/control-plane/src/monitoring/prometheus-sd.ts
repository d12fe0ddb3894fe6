/**
 * Prometheus file-based discovery (file_sd_configs) from the process registry: one target
 * group per address, labelled with the roles served there, so separately started processes
 * are scraped without editing prometheus.yml. Several workers of one service share an address
 * (and answer /metrics for all of them): they become one target. The file is replaced
 * atomically (written beside it, then renamed), so Prometheus never reads half of it.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SdTargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Target groups for the given live processes, in a stable order (an unchanged registry gives the same text). */
export function prometheusTargets(processes: Array<{ url: string; roles: string[]; host: string }>): SdTargetGroup[] {
  const byAddress = new Map<string, { scheme: string; path: string; roles: Set<string>; host: string }>();
  for (const p of processes) {
    let u: URL;
    try {
      u = new URL(p.url);
    } catch {
      continue;
    }
    const address = u.host;
    const path = u.pathname.replace(/\/+$/, '');
    const seen = byAddress.get(address) ?? { scheme: u.protocol.replace(':', ''), path, roles: new Set<string>(), host: p.host };
    for (const r of p.roles) seen.roles.add(r);
    byAddress.set(address, seen);
  }
  return [...byAddress.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([address, t]) => ({
      targets: [address],
      labels: {
        role: [...t.roles].sort().join(','),
        host: t.host,
        ...(t.scheme !== 'http' ? { __scheme__: t.scheme } : {}),
        ...(t.path !== '' ? { __metrics_path__: `${t.path}/metrics` } : {}),
      },
    }));
}

export function sdFileText(groups: SdTargetGroup[]): string {
  return `${JSON.stringify(groups, null, 2)}\n`;
}

/** Replaces `path` with `text` in one rename (creating its folder). */
export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
}
