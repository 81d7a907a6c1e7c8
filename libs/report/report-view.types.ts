import { type CompressionTensor, type Fidelity } from './result-json.js';

/**
 * What the page is drawn from: derived from the result JSON once, on the server, so that the page script
 * only lays things out and every calculation (quartiles, changes, fallbacks) is tested in Node.
 */
export interface ReportView {
  run: { id: string; name: string; state: string; createdAt: string; finishedAt: string | null };
  durationMs: number | null;
  models: { name: string; sha256: string; sizeBytes: number; parameterCount: number }[];
  variants: string[];
  agents: AgentView[];
  results: ResultView[];
  comparisons: ComparisonGroup[];
  hardware: HardwareView;
  failures: { model: string; variant: string; ep: string; agent: string; error: string }[];
}

export interface AgentView {
  id: string;
  name: string;
  labels: string[];
  /** Fingerprint as label/value pairs, formatted, in a stable order. */
  facts: [string, string][];
}

/** One measured (model, variant, agent, execution provider). */
export interface ResultView {
  label: string;
  model: string;
  variant: string;
  agentId: string;
  agentName: string;
  ep: string;
  sampleCount: number;
  /** [lower whisker, Q1, median, Q3, upper whisker] from the raw samples; null without samples. */
  box: [number, number, number, number, number] | null;
  outliers: number[];
  /** Raw samples, thinned to a few thousand for the strip under each box. */
  samples: number[];
  median: number;
  ci95: [number, number];
  p90: number;
  p99: number;
  /** [node, op type, provider, median ms, share, CPU fallback (0/1), ORT's reason or ''] per node. */
  ops: OpRow[];
  /** [op type, node count, total ms, share], largest first. */
  opTypes: [string, number, number, number][];
  fallbackCount: number;
}

export type OpRow = [string, string, string, number, number, 0 | 1, string];

export interface ComparisonGroup {
  model: string;
  agentName: string;
  ep: string;
  rows: ComparisonRow[];
}

export type MetricKey =
  'sizeBytes' | 'gzipSizeBytes' | 'loadMs' | 'firstRunMs' | 'median' | 'p90' | 'p99' | 'peakRss';

export interface MetricCell {
  value: number | null;
  /** Relative change against the original in the same group; null on the original row or without one. */
  change: number | null;
  /** better / worse when the change is beyond the noise for that metric, same otherwise. */
  verdict: 'better' | 'worse' | 'same' | null;
}

export interface ComparisonRow {
  variant: string;
  isOriginal: boolean;
  ci95: [number, number];
  cells: Record<MetricKey, MetricCell>;
  ratio: number | null;
  fidelity: Fidelity | null;
  compressionTensors: CompressionTensor[];
}

/** Median latency with its CI per (agent, EP) category and per (model, variant) series. */
export interface HardwareView {
  categories: string[];
  series: { name: string; points: ([number, number, number] | null)[] }[];
}
