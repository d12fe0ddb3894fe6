/** The vocabulary the dashboards are written in: panels, targets, variables, and the PromQL shapes they share. */

/** The uid of the Prometheus datasource in infra/grafana/provisioning/datasources/prometheus.yml. */
export const DATASOURCE_UID = 'roomcast-prometheus';
export const DS = { type: 'prometheus', uid: DATASOURCE_UID } as const;

export interface Target {
  expr: string;
  legendFormat: string;
}
export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  kind?: 'timeseries' | 'stat';
  /** Stack the series (parts of one total, e.g. outcomes). */
  stacked?: boolean;
}
export interface VariableSpec {
  name: string;
  label: string;
  /** Grafana's `label_values(selector, label)`. */
  query: string;
}
export interface Section {
  title: string;
  panels: PanelSpec[];
}
export interface DashboardSpec {
  uid: string;
  file: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  sections: Section[];
}

export const t = (expr: string, legendFormat = '__auto'): Target => ({ expr, legendFormat });
/** A series that exists only after its first increment (an error class): 0 instead of "No data" until then. */
export const orZero = (expr: string) => `(${expr}) or vector(0)`;
export const rate = (metric: string, selector: string, by = '') => `sum${by ? ` by (${by})` : ''} (rate(${metric}{${selector}}[$__rate_interval]))`;
export const quantiles = (metric: string, selector: string, by = '', qs = [0.5, 0.95, 0.99]): Target[] =>
  qs.map((q) => t(`histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`, `p${q * 100}${by ? ` {{${by}}}` : ''}`));

export const INSTANCE: VariableSpec = { name: 'instance', label: 'Process', query: 'label_values(roomcast_process_start_time_seconds, instance)' };
export const I = 'instance=~"$instance"';
