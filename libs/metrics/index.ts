export {
  GRPC_LABELS,
  JOB,
  METRIC,
  RESULT_LABELS,
  TASK_STATUSES,
  type GrpcType,
  type MetricName,
  type ResultLabel,
  type ResultLabels,
  type TaskStatusLabel,
} from './metric-names.js';
export {
  GRPC_HANDLING_BUCKETS_SECONDS,
  INFERENCE_LATENCY_BUCKETS_SECONDS,
  msToSeconds,
} from './latency-buckets.js';
export {
  liveSamplesOf,
  remainingSamples,
  TIMED_PHASE,
  type LiveSample,
  type ProgressLike,
} from './live-samples.adapter.js';
export { SeenIndexes } from './seen-indexes.js';
export { LatencyHistogram, type HistogramSeries } from './latency-histogram.js';
export { LastValueGauge, type GaugeChild } from './last-value-gauge.js';
export { renderExposition, writeExposition, yieldToLoop } from './exposition.js';
export {
  AGENT_INFO_LABELS,
  createCoordinatorMetrics,
  type AgentInfo,
  type CoordinatorMetrics,
  type FarmHealthSource,
} from './coordinator-metrics.factory.js';
export { createGrpcServerMetrics, type GrpcServerMetrics } from './grpc-server-metrics.factory.js';
export { createAgentMetrics, type AgentMetrics } from './agent-metrics.factory.js';
export { createMetricsRegistry } from './metrics-registry.factory.js';
export { startMetricsServer, type MetricsServer } from './metrics-http.server.js';
