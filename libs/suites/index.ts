export { ScheduleError, SuiteError } from './suite.exception.js';
export { ENTRY_NAME, ORIGINAL_VARIANT, SUITE_NAME, parseSuite } from './suite.parser.js';
export {
  resolveSuitePath,
  suiteArtifactPaths,
  suiteErrorAt,
  suitePaths,
  toModelRefs,
  toRecipes,
  toScenario,
  toTarget,
} from './suite-contract.util.js';
export { nextFire, parseSchedules, type SuiteSchedule } from './schedule.parser.js';
export { describeFingerprint, fingerprintKey } from './fingerprint-key.util.js';
export {
  DEFAULT_GATE,
  DEFAULT_POLICIES,
  DEFAULT_SUITE_SCENARIO,
  GRAPH_OPTIMIZATIONS,
  SUITE_METRICS,
  SUITE_SCHEMA_LIMITS,
  type FidelityPolicy,
  type GateSettings,
  type GraphOptimization,
  type IncreasePolicy,
  type MetricPolicies,
  type SourcePosition,
  type StatisticalPolicy,
  type SuiteInputFile,
  type SuiteInputs,
  type SuiteMetric,
  type SuiteModel,
  type SuiteRecipe,
  type SuiteScenario,
  type SuiteShape,
  type SuiteSpec,
  type SuiteTarget,
} from './suite.types.js';
export { type ArtifactUse, loadSuiteSource } from './suite-source.util.js';
