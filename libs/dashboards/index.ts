export type {
  DashboardSpec,
  PanelKind,
  PanelSpec,
  QuerySpec,
  RowSpec,
  VariableSpec,
} from './dashboard-spec.types.js';
export {
  DASHBOARD_SPECS,
  expandForPrometheus,
  panelQueries,
  renderAllDashboards,
  type RenderedDashboard,
} from './dashboard-catalog.js';
export { PROMETHEUS_DATASOURCE, renderDashboard } from './grafana-dash-gen.adapter.js';
