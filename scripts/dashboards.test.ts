import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE_UID, type DashboardJson, dashboardFiles, dashboardList, panelQueries, variableQueries } from './dashboards.ts';

const dir = new URL('../infra/grafana/dashboards/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const dashboards = files.map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as DashboardJson & { panels: Array<{ gridPos: { x: number; y: number; w: number; h: number } }> });
const BUILT_IN = new Set(['__rate_interval', '__interval', '__range']);

describe('Grafana dashboards', () => {
  it('are exactly the generated files (regenerate: node scripts/dashboards.ts)', () => {
    const generated = dashboardFiles();
    expect(files.sort()).toEqual(Object.keys(generated).sort());
    for (const [name, text] of Object.entries(generated)) expect(readFileSync(new URL(name, dir), 'utf8'), name).toBe(text);
  });

  it('have unique uids and use only the provisioned Prometheus datasource', () => {
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    const provisioned = parse(readFileSync(new URL('../infra/grafana/provisioning/datasources/prometheus.yml', import.meta.url), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
    expect(provisioned.datasources).toEqual([expect.objectContaining({ uid: DATASOURCE_UID, type: 'prometheus' })]);
    for (const d of dashboards) {
      for (const v of d.templating.list) expect(v.datasource?.uid, `${d.uid} $${v.name}`).toBe(DATASOURCE_UID);
      for (const p of d.panels.filter((x) => x.type !== 'row')) {
        expect(p.datasource?.uid, `${d.uid} "${p.title}"`).toBe(DATASOURCE_UID);
        for (const target of p.targets ?? []) expect(target.datasource?.uid, `${d.uid} "${p.title}" ${target.refId}`).toBe(DATASOURCE_UID);
      }
    }
  });

  it('give every panel at least one query, unique ids and a place of its own on the grid', () => {
    for (const d of dashboards) {
      expect(new Set(d.panels.map((p) => p.id)).size, d.uid).toBe(d.panels.length);
      for (const p of d.panels.filter((x) => x.type !== 'row')) {
        expect(p.targets?.length ?? 0, `${d.uid} "${p.title}"`).toBeGreaterThan(0);
        for (const target of p.targets ?? []) expect(target.expr.trim(), `${d.uid} "${p.title}" ${target.refId}`).not.toBe('');
      }
      const cells = new Set<string>();
      for (const { gridPos: g } of d.panels)
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${d.uid}: panels overlap at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
    }
  });

  it('use only variables they define (earlier ones in a variable query) and label_values queries', () => {
    for (const d of dashboards) {
      const defined = new Set<string>();
      for (const v of variableQueries(d)) {
        expect(v.query, v.where).toMatch(/^label_values\(.+, *[a-z_]+\)$/);
        for (const [, name] of v.query.matchAll(/\$(\w+)/g)) expect(defined.has(name ?? ''), `${v.where} uses $${name}`).toBe(true);
        defined.add(v.name);
      }
      for (const q of panelQueries(d)) for (const [, name] of q.expr.matchAll(/\$(\w+)/g)) expect(defined.has(name ?? '') || BUILT_IN.has(name ?? ''), `${q.where} uses $${name}`).toBe(true);
    }
  });
});

describe('infra/README.md', () => {
  it('lists every dashboard and its panels as they are', () => {
    const readme = readFileSync(new URL('../infra/README.md', import.meta.url), 'utf8');
    expect(/<!-- dashboards:start -->\n([\s\S]*?)<!-- dashboards:end -->/.exec(readme)?.[1]).toBe(dashboardList());
  });
});
