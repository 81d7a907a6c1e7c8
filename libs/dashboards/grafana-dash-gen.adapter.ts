import type { Dashboard, DataSourceRef, Panel, RowPanel, VariableModel } from '@grafana/schema';
import dashgen from 'grafana-dash-gen';
import type { DashboardSpec, PanelSpec, QuerySpec, VariableSpec } from './dashboard-spec.types.js';

/**
 * The only file that touches grafana-dash-gen. The library composes dashboards, rows, panels and template
 * variables, but its defaults are Graphite's (string `datasource: 'graphite'`, `target` strings, legacy
 * rows, schemaVersion 6, ids from a process-wide counter). Here every panel gets the provisioned Prometheus
 * datasource and `expr` targets, rows become row panels with a grid position, ids restart at 1 per
 * dashboard (so the JSON is reproducible), and the result is typed as @grafana/schema's Dashboard.
 */
export const PROMETHEUS_DATASOURCE: DataSourceRef = { type: 'prometheus', uid: 'mlfarm-prometheus' };

// Grafana's grid is 24 wide; grafana-dash-gen's spans count 12.
const GRID_PER_SPAN = 2;
const PANEL_HEIGHT = 8;
// Grafana migrates older dashboards on load; writing a current version skips that.
const SCHEMA_VERSION = 39;

type LegacyPanel = {
  title?: string;
  type?: string;
  span?: number;
  targets?: QuerySpec[];
  description?: string;
  unit?: string;
};
type LegacyRow = { title?: string; panels: LegacyPanel[] };

export function renderDashboard(spec: DashboardSpec): Dashboard {
  const legacy = new dashgen.Dashboard({
    title: spec.title,
    tags: spec.tags,
    refresh: '30s',
    time: spec.time,
  });
  for (const variable of spec.variables) {
    legacy.addTemplate(
      new dashgen.Templates.Query(variable.query, {
        name: variable.name,
        label: variable.label,
        datasource: PROMETHEUS_DATASOURCE.uid!,
        includeAll: true,
        multi: true,
        allValue: '.*',
      }),
    );
  }
  for (const row of spec.rows) {
    const legacyRow = new dashgen.Row({ title: row.title });
    for (const panel of row.panels) {
      legacyRow.addPanel(legacyPanel(panel));
    }
    legacy.addRow(legacyRow);
  }
  const generated = legacy.generate();
  return {
    uid: spec.uid,
    title: generated.title,
    description: spec.description,
    tags: generated.tags as string[],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: String(generated.refresh),
    schemaVersion: SCHEMA_VERSION,
    time: spec.time,
    templating: { list: spec.variables.map(variableModel) },
    annotations: {
      list: (spec.annotations ?? []).map((a) => ({
        name: a.name,
        datasource: PROMETHEUS_DATASOURCE,
        enable: true,
        iconColor: 'red',
        expr: a.expr,
        titleFormat: a.title,
        textFormat: a.text,
        tagKeys: a.tagKeys.join(','),
        step: '5m',
      })),
    },
    links: [],
    panels: gridPanels(generated.rows ?? []),
  };
}

function legacyPanel(panel: PanelSpec): InstanceType<typeof dashgen.Panels.Graph> {
  // No `targets` option: grafana-dash-gen would stringify them as Graphite paths. They are set below.
  const graph = new dashgen.Panels.Graph({ title: panel.title, span: panel.span ?? 6 });
  Object.assign(graph.state, {
    type: panel.kind,
    targets: panel.queries,
    description: panel.description,
    unit: panel.unit,
  });
  return graph;
}

function gridPanels(rows: LegacyRow[]): (Panel | RowPanel)[] {
  const panels: (Panel | RowPanel)[] = [];
  let id = 0;
  let y = 0;
  for (const row of rows) {
    panels.push({
      type: 'row',
      id: ++id,
      title: row.title ?? '',
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const legacy of row.panels) {
      const w = Math.min(24, (legacy.span ?? 6) * GRID_PER_SPAN);
      if (x + w > 24) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      panels.push(schemaPanel(legacy, ++id, { x, y, w, h: PANEL_HEIGHT }));
      x += w;
    }
    y += PANEL_HEIGHT;
  }
  return panels;
}

function schemaPanel(legacy: LegacyPanel, id: number, gridPos: Panel['gridPos']): Panel {
  const queries = legacy.targets ?? [];
  return {
    id,
    type: legacy.type ?? 'timeseries',
    title: legacy.title ?? '',
    description: legacy.description ?? '',
    datasource: PROMETHEUS_DATASOURCE,
    gridPos,
    targets: queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: PROMETHEUS_DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend ?? '__auto',
      instant: q.instant ?? false,
      range: !(q.instant ?? false),
      ...(legacy.type === 'table' && { format: 'table' }),
    })),
    fieldConfig: { defaults: { unit: legacy.unit ?? 'short' }, overrides: [] },
    options: {},
  };
}

function variableModel(variable: VariableSpec): VariableModel {
  return {
    type: 'query',
    name: variable.name,
    label: variable.label,
    datasource: PROMETHEUS_DATASOURCE,
    query: { query: variable.query, refId: `${variable.name}-values` },
    refresh: 2, // on time-range change: new agents and models appear without a reload
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { text: 'All', value: '$__all' },
    options: [],
    sort: 1,
  };
}
