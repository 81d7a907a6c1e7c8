import type { TaskResult } from '#contracts';
import type { GateSettings, MetricPolicies } from '#suites';
import type { TaskTable } from '../store/database.types.js';

/** Everything a verdict needs besides the tasks and their results, gathered by the caller. */
export interface GateContext {
  runId: string;
  suite: string;
  baseline: string;
  policies: MetricPolicies;
  gate: GateSettings;
  agentNames: Map<string, string>;
  /** Agent id -> fingerprint key. */
  fingerprints: Map<string, string>;
  /** Artifact sha256 -> bytes. */
  sizes: Map<string, number>;
  /** `${cellKey}\0${metric}` -> the series' historical relative noise (>= 5 nightly points). */
  historicalNoise: Map<string, number>;
  /** `${model}\0${variant}\0${metric}\0${fingerprint}` of muted series. */
  muted: Set<string>;
  now: number;
}

export interface Round {
  base?: TaskResult;
  head?: TaskResult;
}

export interface CellRounds {
  key: string;
  sample: TaskTable;
  rounds: Map<number, Round>;
  baseArtifact: string;
  headArtifact: string;
}
