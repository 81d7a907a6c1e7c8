import type { Generated } from 'kysely';

// Row shapes of the SQLite (and later PostgreSQL) schema. Times are epoch milliseconds; JSON columns
// hold data whose shape is owned by the contract (fingerprints, facts, scenario, samples).
export interface ArtifactTable {
  sha256: string;
  name: string;
  kind: string;
  size_bytes: number;
  facts_json: string | null;
  created_at: number;
}

export interface AgentTable {
  id: string;
  name: string;
  labels_json: string;
  fingerprint_json: string;
  eps_json: string;
  runtimes_json: string;
  first_seen_at: number;
  last_seen_at: number;
  /** The coordinator replica whose stream the agent holds now; null once it disconnected. */
  replica_id: string | null;
}

export interface RunTable {
  id: string;
  name: string;
  state: string;
  request_json: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** 'adhoc' | 'nightly' | 'gate'. */
  kind: string;
  suite: string | null;
  baseline: string | null;
  suite_json: string | null;
  /** The client (API token id, or 'local' without authentication) that submitted the run. */
  submitted_by: string | null;
}

export interface TaskTable {
  id: string;
  run_id: string;
  seq: number;
  model_sha256: string;
  model_name: string;
  variant: string;
  agent_id: string | null;
  ep: string;
  state: string;
  attempt: number;
  error: string | null;
  lease_expires_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** null for the original: the task measures model_sha256 itself. */
  variant_sha256: string | null;
  /** '' = the agent's default runtime. */
  runtime: string;
  reference_sha256: string | null;
  reference_runtime: string | null;
  reference_label: string | null;
  /** Gates: 'base' | 'head' and the round (from 1); null otherwise. */
  side: string | null;
  round: number | null;
}

export interface VariantTable {
  source_sha256: string;
  recipe_hash: string;
  name: string;
  variant_sha256: string;
  recipe_json: string;
  report_json: string;
  created_at: number;
}

export interface ResultTable {
  task_id: string;
  attempt: number;
  agent_id: string;
  fingerprint_json: string;
  facts_json: string;
  ort_version: string;
  ep: string;
  load_ms: number;
  first_run_ms: number;
  median_ms: number;
  latency_json: string;
  samples_json: string;
  peak_rss_bytes: number;
  arena_peak_bytes: number;
  profiled_run_median_ms: number;
  inputs_json: string;
  op_types_json: string;
  fidelity_json: string | null;
  created_at: number;
  /** The per-node rows as JSON; null for results stored before it existed (their rows are in result_ops). */
  ops_json: string | null;
}

export interface ResultOpTable {
  id: Generated<number>;
  task_id: string;
  attempt: number;
  node: string;
  op_type: string;
  provider: string;
  median_ms: number;
  share: number;
}

export interface SeriesPointTable {
  id: Generated<number>;
  suite: string;
  model: string;
  variant: string;
  metric: string;
  fingerprint: string;
  run_id: string;
  task_id: string;
  value: number;
  at: number;
}

export interface BaselineTable {
  suite: string;
  name: string;
  fingerprint: string;
  model: string;
  model_sha256: string;
  run_id: string;
  accepted_at: number;
}

export interface VerdictTable {
  run_id: string;
  outcome: string;
  verdict_json: string;
  updated_at: number;
}

export interface RegressionTable {
  id: string;
  suite: string;
  model: string;
  variant: string;
  metric: string;
  fingerprint: string;
  source: string;
  run_id: string;
  before: number;
  after: number;
  relative_change: number;
  p_value: number;
  detected_at: number;
  status: string;
  note: string;
  runs_before_json: string;
  runs_after_json: string;
  dedupe_key: string;
}

export interface Database {
  artifacts: ArtifactTable;
  agents: AgentTable;
  runs: RunTable;
  tasks: TaskTable;
  results: ResultTable;
  result_ops: ResultOpTable;
  variants: VariantTable;
  series_points: SeriesPointTable;
  baselines: BaselineTable;
  verdicts: VerdictTable;
  regressions: RegressionTable;
  api_tokens: ApiTokenTable;
  agent_credentials: AgentCredentialTable;
  artifact_chunks: ArtifactChunkTable;
  cluster_events: ClusterEventTable;
  schedule_firings: ScheduleFiringTable;
}

/** Artifact bytes in 1 MiB chunks, so every replica can serve any artifact (PostgreSQL only). */
export interface ArtifactChunkTable {
  sha256: string;
  idx: number;
  data: Uint8Array;
}

/** A run event too large for a NOTIFY payload; the notification carries its id. Deleted after a minute. */
export interface ClusterEventTable {
  id: Generated<number>;
  payload: string;
  created_at: number;
}

/** One row per schedule firing: the replica that inserts it starts the run, the others skip it. */
export interface ScheduleFiringTable {
  key: string;
  replica_id: string;
  fired_at: number;
}

export interface ApiTokenTable {
  id: string;
  name: string;
  /** Comma-separated: read, submit, admin. */
  scopes: string;
  secret_sha256: string;
  created_at: number;
  revoked_at: number | null;
}

export interface AgentCredentialTable {
  agent_id: string;
  secret_sha256: string;
  created_at: number;
  revoked_at: number | null;
}
