/**
 * The Grafana dashboards under infra/grafana/dashboards/, generated from one source so that
 * every panel is built the same way (datasource, units, template variables, layout); each
 * dashboard's panels are in scripts/dashboards/<name>.ts, written in the vocabulary of dsl.ts:
 *   roomcast-publish.json     the publish path (ingress)
 *   roomcast-delivery.json    push delivery per subscription (dispatcher)
 *   roomcast-pull.json        pull queues and live streams
 *   roomcast-log-sink.json    the message-log sink
 *   roomcast-processes.json   process health of every Roomcast process
 * `node scripts/dashboards.ts` rewrites them and the panel list in infra/README.md; a unit test
 * (dashboards.test.ts) keeps both equal to this source and checks their structure;
 * test/e2e/dashboards.int.test.ts runs every query against a real Prometheus.
 * Only metrics a Roomcast process exports (each service's metrics.ts) may appear here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DELIVERY } from './dashboards/delivery.ts';
import { type DashboardSpec, DATASOURCE_UID, DS, type PanelSpec, type VariableSpec } from './dashboards/dsl.ts';
import { LOG_SINK } from './dashboards/log-sink.ts';
import { PROCESSES } from './dashboards/processes.ts';
import { PUBLISH } from './dashboards/publish.ts';
import { PULL } from './dashboards/pull.ts';

export { DATASOURCE_UID };

export const DASHBOARDS: DashboardSpec[] = [PUBLISH, DELIVERY, PULL, LOG_SINK, PROCESSES];

const WIDTH = 12;
const HEIGHT = 8;

function variable(v: VariableSpec) {
  return {
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: DS,
    query: { qryType: 1, query: v.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    definition: v.query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    options: [],
  };
}

function panel(p: PanelSpec, id: number, x: number, y: number) {
  const kind = p.kind ?? 'timeseries';
  const custom = kind === 'timeseries' ? { custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: p.stacked ? 30 : 10, showPoints: 'never', stacking: { mode: p.stacked ? 'normal' : 'none', group: 'A' } } } : {};
  return {
    id,
    type: kind,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos: { h: HEIGHT, w: WIDTH, x, y },
    fieldConfig: { defaults: { unit: p.unit, ...custom }, overrides: [] },
    options:
      kind === 'timeseries'
        ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' },
    targets: p.targets.map((target, i) => ({ datasource: DS, refId: String.fromCharCode(65 + i), expr: target.expr, legendFormat: target.legendFormat, range: true, editorMode: 'code' })),
  };
}

/** One dashboard as Grafana's JSON model: a row per section, panels two to a line. */
export function dashboard(d: DashboardSpec): Record<string, unknown> {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const section of d.sections) {
    panels.push({ id: id++, type: 'row', title: section.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    section.panels.forEach((p, i) => {
      panels.push(panel(p, id++, (i % 2) * WIDTH, y + Math.floor(i / 2) * HEIGHT));
    });
    y += Math.ceil(section.panels.length / 2) * HEIGHT;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: d.tags,
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    templating: { list: d.variables.map(variable) },
    annotations: { list: [] },
    links: DASHBOARDS.filter((o) => o.uid !== d.uid).map((o) => ({ type: 'link', title: o.title, url: `/d/${o.uid}`, keepTime: true, includeVars: false })),
    panels,
  };
}

/** A dashboard file as Grafana reads it: the parts the checks look at. */
export interface DashboardJson {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string; datasource?: { uid?: string }; query: { query: string } | string }> };
  panels: Array<{ id: number; type: string; title: string; datasource?: { uid?: string }; targets?: Array<{ refId: string; expr: string; datasource?: { uid?: string } }> }>;
}

/** Every panel query of a dashboard, with where it comes from (for messages). */
export function panelQueries(d: DashboardJson): Array<{ where: string; expr: string }> {
  return d.panels
    .filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((target) => ({ where: `${d.uid} / panel "${p.title}" / ${target.refId}`, expr: target.expr })));
}

/** The template variables of a dashboard in their order (a later one may use an earlier one), with their queries. */
export function variableQueries(d: DashboardJson): Array<{ name: string; where: string; query: string }> {
  return d.templating.list.map((v) => ({ name: v.name, where: `${d.uid} / variable $${v.name}`, query: typeof v.query === 'string' ? v.query : v.query.query }));
}

/** The dashboards and their panels as a Markdown list (infra/README.md carries it; a unit test keeps it current). */
export function dashboardList(): string {
  const lines: string[] = [];
  for (const d of DASHBOARDS) {
    lines.push(`- **${d.title}** (\`${d.file}\`, variables ${d.variables.map((v) => `\`$${v.name}\``).join(', ')}): ${d.description}`);
    for (const section of d.sections) lines.push(`  - ${section.title}: ${section.panels.map((p) => p.title).join('; ')}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** File name under infra/grafana/dashboards/ → its text. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(DASHBOARDS.map((d) => [d.file, `${JSON.stringify(dashboard(d), null, 2)}\n`]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(dashboardFiles())) writeFileSync(new URL(`../infra/grafana/dashboards/${name}`, import.meta.url), text);
  const readme = new URL('../infra/README.md', import.meta.url);
  writeFileSync(readme, readFileSync(readme, 'utf8').replace(/(<!-- dashboards:start -->\n)[\s\S]*?(<!-- dashboards:end -->)/, (_, start: string, end: string) => `${start}${dashboardList()}${end}`));
}
