export { CI_EXIT, type CiExitCode, exitCodeOf } from './exit-code.util.js';
export { renderJunit } from './junit.renderer.js';
export { MAX_ADVICE_ROWS, inline as markdownInline, renderMarkdown } from './markdown.renderer.js';
export { VERDICT_JSON_SCHEMA, toVerdictJson } from './verdict-json.util.js';
export {
  describeChange,
  formatBytes,
  formatCi,
  formatP,
  formatPercent,
  formatThreshold,
  formatValue,
  metricVerdictWord,
  outcomeWord,
} from './verdict-format.util.js';
