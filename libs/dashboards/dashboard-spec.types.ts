/** What a dashboard is made of, independent of any builder library: what the panels ask Prometheus. */
export type PanelKind = 'timeseries' | 'bargauge' | 'table' | 'stat';

export interface QuerySpec {
  expr: string;
  /** Grafana legend template, e.g. `{{agent}}`. */
  legend?: string;
  /** Only the latest value (tables, bar gauges). */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  /** The question the panel answers; shown as the panel description. */
  description: string;
  kind: PanelKind;
  /** Grafana unit id: `s`, `bytes`, `percentunit`, `none`, `dB`, `short`. */
  unit: string;
  queries: QuerySpec[];
  /** Of 12 columns, as grafana-dash-gen counts (Grafana's grid has 24). */
  span?: number;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface VariableSpec {
  name: string;
  label: string;
  /** `label_values(...)` query that lists the values. */
  query: string;
}

/** Grafana annotations from a Prometheus query: a marker wherever the query has a value. */
export interface AnnotationSpec {
  name: string;
  expr: string;
  /** Title and text templates over the series' labels, e.g. `{{model}} {{metric}}`. */
  title: string;
  text: string;
  /** Labels whose values become the annotation's tags. */
  tagKeys: string[];
}

export interface DashboardSpec {
  uid: string;
  /** File name under deploy/grafana/dashboards (without .json). */
  file: string;
  title: string;
  description: string;
  tags: string[];
  time: { from: string; to: string };
  variables: VariableSpec[];
  rows: RowSpec[];
  annotations?: AnnotationSpec[];
}
