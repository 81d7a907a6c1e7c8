export interface BenchScenario {
  /** Untimed runs after the first inference; default 5. */
  warmupIterations: number;
  /** Minimum number of timed iterations. */
  iterations: number;
  /** Keep iterating until both `iterations` and this duration are reached (0 = off). */
  minDurationMs: number;
  /** Safety cap on timed iterations; defaults to 100 000 when minDurationMs is on. */
  maxIterations?: number;
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Run the separate profiled pass (per-node trace). */
  profile: boolean;
  /** Runs aggregated inside the profiled pass (default 10); one extra untimed run precedes them. */
  profileIterations?: number;
  /** Seed of the synthetic inputs. */
  seed: number;
  /** Input name -> full dims; resolves dynamic dimensions. */
  shapes: Record<string, number[]>;
  /** Input name -> .npy / TensorProto .pb path; wins over synthetic data. */
  inputFiles: Record<string, string>;
  /**
   * Test-only: honoured by the runner child alone (never by `measure`), to prove crash isolation.
   * Not part of any wire contract, so a remote task cannot set it.
   */
  __crashForTest?: 'abort' | 'exit' | 'hang';
}

export interface RunnerTask {
  modelPath: string;
  /** onnxruntime-node execution provider name: 'cpu', 'webgpu', 'cuda', ... */
  ep: string;
  scenario: BenchScenario;
  /**
   * Which installed onnxruntime-node the runner child loads: '1.22', '1.22.0' or a package name such as
   * 'onnxruntime-node-1.22' (see resolveRuntime). Default: the plain `onnxruntime-node` dependency.
   */
  runtime?: string;
  /**
   * Reference outputs written by `captureReferenceOutputs` for the same scenario: `measure` then runs
   * the model once more after the timed loop and reports `fidelity` against them.
   */
  reference?: { outputsPath: string };
}

/** Name, shape and element type of one model output as written to a reference file. */
export interface OutputInfo {
  name: string;
  dims: number[];
  elemType: string;
}

export interface ReferenceCapture {
  outputs: OutputInfo[];
  /** The runtime that produced the reference (the loaded binding's version). */
  ortVersion: string;
  inputs: MeasuredInput[];
  /** sha256 of the feeds (see feedsDigest): equal across runtimes for the same scenario. */
  inputsDigest: string;
}

/** Fidelity of one output against the reference. */
export interface OutputFidelity {
  name: string;
  /** Cosine similarity; 1 for identical, both-all-zero counts as identical. */
  cosine: number;
  /** 10 log10(sum ref^2 / sum (ref - got)^2), clamped to +-SNR_CAP_DB (identical -> +SNR_CAP_DB). */
  snrDb: number;
  /** 10 log10(peak^2 / MSE) with peak = max |ref|, clamped like snrDb. */
  psnrDb: number;
  maxAbsError: number;
  /** Rows (all but the last dim) whose argmax agrees; only for class-score-like outputs. */
  top1Agreement?: number;
  /** Rows whose reference argmax is among the candidate's 5 highest; class scores with > 5 classes. */
  top5Agreement?: number;
  /**
   * Set when the output cannot be compared (missing, other shape or type, strings): the metrics then
   * hold their worst values (cosine 0, SNR/PSNR -SNR_CAP_DB, maxAbsError Number.MAX_VALUE).
   */
  mismatch?: string;
  /** Elements where exactly one side is NaN/Inf or both are different infinities; left out of the sums. */
  nonFiniteMismatches?: number;
}

/** Aggregate over all outputs: one vector made of every comparable output (a mismatch forces worst values). */
export interface Fidelity {
  cosine: number;
  snrDb: number;
  psnrDb: number;
  maxAbsError: number;
  /** Row-weighted over the outputs that have it. */
  top1Agreement?: number;
  top5Agreement?: number;
  outputs: OutputFidelity[];
  /** Names of outputs reported with `mismatch`. */
  mismatchedOutputs: string[];
  /** False when this run's feeds differ from the ones the reference was captured on. */
  inputsMatch: boolean;
  /** The runtime that produced the reference. */
  referenceOrtVersion: string;
}

/** All values in milliseconds. */
export interface LatencyStats {
  median: number;
  p90: number;
  p99: number;
  mean: number;
  /** Sample standard deviation (n - 1). */
  stddev: number;
  min: number;
  max: number;
  /** Median absolute deviation, unscaled (no 1.4826 factor). */
  mad: number;
  /** Bootstrap 95 % confidence interval of the median. */
  ci95: [number, number];
  count: number;
}

export interface OpRow {
  /** Node name as ORT reports it (after graph optimisation, e.g. `conv_1.tmp_0_nchwc`). */
  node: string;
  opType: string;
  /** ORT provider name, e.g. `CPUExecutionProvider`. */
  provider: string;
  /** Median over the profiled runs of this node's kernel time. */
  medianMs: number;
  /** medianMs / sum of all nodes' medianMs; shares sum to 1. */
  share: number;
}

export interface OpTypeRow {
  opType: string;
  /** Nodes of this type. */
  count: number;
  /** Sum of the nodes' medianMs. */
  totalMs: number;
  share: number;
}

export interface ProfileSummary {
  ops: OpRow[];
  opTypes: OpTypeRow[];
  /**
   * Peak of `mem_arena_held` across kernel events: bytes the EP's arena allocator has reserved from
   * the system (chunks incl. slack) for activations/intermediates. Weights are not in it, nor are
   * allocations outside the arena. Absent when the trace has no such field.
   */
  arenaPeakBytes?: number;
  /** Peak of `mem_in_use_peak`: bytes actually handed out by that arena at its busiest. */
  arenaInUsePeakBytes?: number;
  /** Profiled runs that were aggregated. */
  runs: number;
}

export interface MeasuredInput {
  name: string;
  dims: number[];
  elemType: string;
  source: 'synthetic' | 'file';
}

export interface MeasurementResult {
  /** The onnxruntime-node version really loaded by the runner (the binding's own report). */
  ortVersion: string;
  ep: string;
  /** Session creation (model load + graph optimisation + EP init). */
  loadMs: number;
  firstRunMs: number;
  samplesMs: number[];
  latency: LatencyStats;
  /**
   * Peak RSS of the measuring process (`process.resourceUsage().maxRSS * 1024`). From
   * `runInChildProcess` that is the fresh runner child, i.e. the model's footprint; from `measure`
   * in-process it is the whole caller process. Taken before the profiled pass, whose trace buffers
   * would otherwise count.
   */
  peakRssBytes: number;
  /** See ProfileSummary.arenaPeakBytes; only with profile: true. */
  arenaPeakBytes?: number;
  arenaInUsePeakBytes?: number;
  ops: OpRow[];
  opTypes: OpTypeRow[];
  /** Median wall time of the profiled runs (same hrtime timing), to show profiling overhead. */
  profiledRunMedianMs?: number;
  inputs: MeasuredInput[];
  /** Only with `task.reference`: this run's outputs against the reference outputs, same feeds. */
  fidelity?: Fidelity;
}

export type BenchPhase = 'load' | 'first-run' | 'warmup' | 'measure' | 'profile';

export interface BenchProgress {
  phase: BenchPhase;
  done: number;
  total: number;
  lastMs?: number;
  /** Timed loop only: every sample since the previous progress message, so live metrics miss none. */
  samplesMs?: number[];
  /** Index of samplesMs[0] among the timed iterations. */
  firstIndex?: number;
}
