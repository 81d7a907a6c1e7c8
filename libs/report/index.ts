export {
  type CompressionTensor,
  type CompressionTotals,
  type FallbackReason,
  type Fidelity,
  type ResultEntry,
  type ResultJson,
  toResultJson,
} from './result-json.js';
export { renderRunReport } from './report-html.renderer.js';
export { buildReportView } from './report-view.builder.js';
export { type ReportView } from './report-view.types.js';
export { syntheticResultJson, type SyntheticOptions } from './synthetic-result.fixture.js';
export { DEBIAN_CHROMIUM, HEADLESS_CHROMIUM_ARGS } from './headless-chromium.js';
