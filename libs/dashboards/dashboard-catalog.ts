import type { Dashboard } from '@grafana/schema';
import { COMPRESSION } from './compression.dashboard.js';
import type { DashboardSpec } from './dashboard-spec.types.js';
import { FARM_HEALTH } from './farm-health.dashboard.js';
import { renderDashboard } from './grafana-dash-gen.adapter.js';
import { HARDWARE_COMPARISON } from './hardware-comparison.dashboard.js';
import { NIGHTLY_TRENDS } from './nightly-trends.dashboard.js';
import { PER_OP } from './per-op.dashboard.js';

export const DASHBOARD_SPECS: readonly DashboardSpec[] = [
  HARDWARE_COMPARISON,
  COMPRESSION,
  PER_OP,
  FARM_HEALTH,
  NIGHTLY_TRENDS,
];

export interface RenderedDashboard {
  file: string;
  dashboard: Dashboard;
  /** Exactly what deploy/grafana/dashboards/<file> holds. */
  text: string;
}

export function renderAllDashboards(): RenderedDashboard[] {
  return DASHBOARD_SPECS.map((spec) => {
    const dashboard = renderDashboard(spec);
    return { file: `${spec.file}.json`, dashboard, text: `${JSON.stringify(dashboard, null, 2)}\n` };
  });
}

/** Every PromQL expression of every panel, for tests that run them against a real Prometheus. */
export function panelQueries(dashboard: Dashboard): { panel: string; expr: string }[] {
  return (dashboard.panels ?? []).flatMap((panel) =>
    'targets' in panel && Array.isArray(panel.targets)
      ? panel.targets.map((t) => ({ panel: panel.title ?? '', expr: String(t.expr) }))
      : [],
  );
}

/**
 * What Grafana substitutes before a query reaches Prometheus, with "All" selected for every variable.
 * Only the variables and built-ins these dashboards use.
 */
export function expandForPrometheus(expr: string, rangeSeconds: number): string {
  return expr
    .replace(/\$(model|variant|agent|ep)\b/g, '.*')
    .replace(/\$__rate_interval\b/g, '1m')
    .replace(/\$__range\b/g, `${rangeSeconds}s`);
}
