import { type Recipe as CompressionRecipe } from '#compression';

export const SUITE_SCHEMA_LIMITS = {
  /** Suites are small hand-written files; anything bigger is a mistake or an attack. */
  maxBytes: 1024 * 1024,
  maxModels: 64,
  maxRecipes: 32,
} as const;

/** 1-based position of a value in the suite file. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface SuiteModel {
  name: string;
  /** As written: relative to the suite file's folder, or absolute. Exactly one of path / sha256. */
  path?: string;
  /** An artifact already stored by the coordinator (lowercase hex). */
  sha256?: string;
}

export interface SuiteShape {
  input: string;
  dims: number[];
}

export interface SuiteInputFile {
  input: string;
  /** As written in the suite. */
  path: string;
  format: 'npy' | 'pb';
}

export interface SuiteInputs {
  shapes: SuiteShape[];
  files: SuiteInputFile[];
  seed: number;
}

export interface SuiteRecipe {
  /** The variant's name in every report ("original" is reserved for the unchanged model). */
  name: string;
  /** A recipe file, as written; read by the client (toRecipes). */
  file?: string;
  /** An inline recipe, validated and normalized. */
  spec?: CompressionRecipe;
  /** The inline recipe exactly as written (snake_case file form): what travels as the recipe text. */
  specSource?: Record<string, unknown>;
}

export interface SuiteTarget {
  labels: { key: string; value: string }[];
  /** Empty = the product default (cpu). */
  executionProviders: string[];
  agents: string[];
  /** Empty = each agent's default runtime. */
  runtimes: string[];
  anyOneAgent: boolean;
}

export type GraphOptimization = 'default' | 'disabled' | 'basic' | 'extended' | 'all';
export const GRAPH_OPTIMIZATIONS: readonly GraphOptimization[] = [
  'default',
  'disabled',
  'basic',
  'extended',
  'all',
];

export interface SuiteScenario {
  warmup: number;
  /** 0 only with minDurationMs > 0 (time-bound measurement). */
  iterations: number;
  minDurationMs: number;
  /** 0 = ONNX Runtime (or the agent's configuration) decides. */
  intraOpThreads: number;
  interOpThreads: number;
  /** "default" leaves the level to ONNX Runtime (which enables all optimizations). */
  graphOptimization: GraphOptimization;
  profile: boolean;
  profileIterations: number;
  timeoutMs: number;
}

export interface GateSettings {
  /** Rounds per side before any verdict may be decided. */
  minRounds: number;
  /** Rounds per side after which an undecided gating metric makes the verdict INCONCLUSIVE. */
  maxRounds: number;
  /** Rounds added per side each time the verdict is still undecided. */
  roundStep: number;
}

/** Latency-like metrics compared over rounds: a change counts when significant and above max(minEffect, k x noise). */
export interface StatisticalPolicy {
  gate: boolean;
  alpha: number;
  minEffect: number;
  noiseMultiplier: number;
}

/** Deterministic or nearly so (peak memory, size): a relative increase above maxIncrease regresses. */
export interface IncreasePolicy {
  gate: boolean;
  maxIncrease: number;
}

/** Output agreement with the reference: regresses below minCosine or when cosine drops more than maxCosineDrop. */
export interface FidelityPolicy {
  gate: boolean;
  minCosine: number;
  maxCosineDrop: number;
}

export interface MetricPolicies {
  latency: StatisticalPolicy;
  loadTime: StatisticalPolicy;
  firstRun: StatisticalPolicy;
  peakMemory: IncreasePolicy;
  size: IncreasePolicy;
  fidelity: FidelityPolicy;
}

/** The metric names used on the wire (Comparison.metric) and in suite files. */
export const SUITE_METRICS = [
  'latency',
  'load_time',
  'first_run',
  'peak_memory',
  'size',
  'fidelity',
] as const;
export type SuiteMetric = (typeof SUITE_METRICS)[number];

export const DEFAULT_POLICIES: Readonly<MetricPolicies> = Object.freeze({
  latency: { gate: true, alpha: 0.01, minEffect: 0.02, noiseMultiplier: 2 },
  loadTime: { gate: false, alpha: 0.01, minEffect: 0.1, noiseMultiplier: 2 },
  firstRun: { gate: false, alpha: 0.01, minEffect: 0.1, noiseMultiplier: 2 },
  peakMemory: { gate: true, maxIncrease: 0.1 },
  size: { gate: true, maxIncrease: 0.01 },
  fidelity: { gate: true, minCosine: 0.999, maxCosineDrop: 0.001 },
});

export const DEFAULT_GATE: Readonly<GateSettings> = Object.freeze({
  minRounds: 6,
  maxRounds: 20,
  roundStep: 4,
});

/** The product's defaults (apps/coordinator/runs/scenario.validator.ts SCENARIO_DEFAULTS). */
export const DEFAULT_SUITE_SCENARIO: Readonly<SuiteScenario> = Object.freeze({
  warmup: 5,
  iterations: 50,
  minDurationMs: 0,
  intraOpThreads: 0,
  interOpThreads: 0,
  graphOptimization: 'default',
  profile: true,
  profileIterations: 10,
  timeoutMs: 15 * 60_000,
});

export interface SuiteSpec {
  suite: string;
  /** Where the text came from, as given to parseSuite (used in every error). */
  fileName: string;
  models: SuiteModel[];
  inputs: SuiteInputs;
  recipes: SuiteRecipe[];
  target: SuiteTarget;
  scenario: SuiteScenario;
  gate: GateSettings;
  policies: MetricPolicies;
  /** Key path (`models[1].path`) -> where its value was written, for errors found after parsing. */
  locations: Record<string, SourcePosition>;
}
