import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_URL } from './postgres.js';

/**
 * The coordinator's cap on live samples per task (MAX_LIVE_SAMPLES_PER_TASK in
 * apps/coordinator/metrics/run-metrics.service.ts): past it, progress counts nothing until the result.
 */
export const LIVE_SAMPLES_CAP_PER_TASK = 100_000;

export interface ScenarioSpec {
  name: string;
  store: 'sqlite' | 'postgres' | 'bare';
  replicas: number;
}

export interface BenchOptions {
  agents: number;
  scenarios: ScenarioSpec[];
  workers: number;
  agentsPerChannel: number;
  progressMessages: number;
  samplesPerProgress: number;
  resultSamples: number;
  opRows: number;
  /** Offered load of the paced phase, tasks/s: each fake execution lasts agents / rate seconds. */
  rate: number;
  /** Fake executions last agents / rate seconds x (1 ± this), uniformly (see WorkerSetup.execSpread). */
  execSpread: number;
  warmupS: number;
  windowS: number;
  saturatedWarmupS: number;
  saturatedWindowS: number;
  /** Ingest phase: every agent holds one task and streams progress as fast as flow control allows; 0 = skipped. */
  ingestWarmupS: number;
  ingestWindowS: number;
  /** Queued work kept ahead of the agents, in tasks per agent. */
  ahead: number;
  repeat: number;
  json?: string;
  cpuProfDir?: string;
  sqlProfDir?: string;
  /** Extra flags for the coordinators' node (V8 heap sizes, --trace-gc, a preloaded probe). */
  nodeFlags: string[];
  logsDir?: string;
  connectTimeoutS: number;
  connectBatch: number;
  connectEveryMs: number;
  adminUrl: string;
  maxActiveRuns: number;
}

export const USAGE = `node dist/scripts/bench-scale.js [options]
  --agents N               simulated agents (1000)
  --store sqlite|postgres|bare  only this (with --replicas); default: sqlite x1, postgres x1,
  --replicas 1|2           postgres x2, then the bare ceiling
  --skip-bare              leave out the bare grpc-js ceiling
  --workers N              load-generator worker threads (2)
  --agents-per-channel N   Connect streams per HTTP/2 channel (50)
  --progress K             progress messages per task (2)
  --samples S              latency samples per progress message (64)
  --result-samples N       timed samples in each result (50)
  --op-rows N              per-op rows in each result (100)
  --rate R                 paced phase: offered tasks/s, each agent "runs" a task agents/R s (625)
  --exec-spread F          each fake execution lasts agents/R s x (1 ± F), uniformly, so agents do not
                           all finish in step (0.5; 0 = all equal)
  --warmup S / --window S  paced phase warm-up and measuring window, seconds (5 / 15)
  --saturated-window S     saturated phase (tasks reported at once) window, 0 to skip (10)
  --ingest-window S        ingest phase window, after a 3 s warm-up: each agent holds one task and
                           streams progress (S samples each) as fast as flow control allows (10)
  --skip-ingest            leave out the ingest phase (as --ingest-window 0)
  --ahead N                queued tasks kept per agent (3)
  --repeat N               run every scenario N times, report medians (1)
  --json FILE              write every number as JSON
  --cpu-prof DIR           run coordinators under node --cpu-prof, summarize profiles
  --sql-prof DIR           time every SQL statement in the coordinators (preloaded sql-timer.js)
  --node-flag=F            an extra flag for the coordinators' node, repeatable (with "=", as F starts
                           with "--"): --max-semi-space-size=32, --trace-gc (into --logs), or
                           "--import FILE" (split at spaces)
  --logs DIR               keep the coordinators' logs there
  --connect-timeout S      for all agents to be welcomed (300)
  --max-active-runs N      MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT for the coordinators (1000)
Env MLFARM_TEST_POSTGRES_URL: admin URL for creating the bench databases (${DEFAULT_ADMIN_URL}).`;

function int(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer >= ${min} (got '${value}')\n${USAGE}`);
  }
  return n;
}

function fraction(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 0.9) {
    throw new Error(`--${name} must be a number from 0 to 0.9 (got '${value}')\n${USAGE}`);
  }
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string', default: '1000' },
      store: { type: 'string' },
      replicas: { type: 'string' },
      'skip-bare': { type: 'boolean', default: false },
      workers: { type: 'string', default: '2' },
      'agents-per-channel': { type: 'string', default: '50' },
      progress: { type: 'string', default: '2' },
      samples: { type: 'string', default: '64' },
      'result-samples': { type: 'string', default: '50' },
      'op-rows': { type: 'string', default: '100' },
      rate: { type: 'string', default: '625' },
      'exec-spread': { type: 'string', default: '0.5' },
      warmup: { type: 'string', default: '5' },
      window: { type: 'string', default: '15' },
      'saturated-window': { type: 'string', default: '10' },
      'ingest-window': { type: 'string', default: '10' },
      'skip-ingest': { type: 'boolean', default: false },
      ahead: { type: 'string', default: '3' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'sql-prof': { type: 'string' },
      'node-flag': { type: 'string', multiple: true, default: [] },
      logs: { type: 'string' },
      'connect-timeout': { type: 'string', default: '300' },
      'max-active-runs': { type: 'string', default: '1000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const scenarios: ScenarioSpec[] = [];
  if (values.store !== undefined || values.replicas !== undefined) {
    const store = values.store ?? 'sqlite';
    const replicas = int(values.replicas ?? '1', 'replicas', 1);
    if (store !== 'sqlite' && store !== 'postgres' && store !== 'bare') {
      throw new Error(`--store must be sqlite, postgres or bare (got '${store}')`);
    }
    if (replicas > 2 || (store !== 'postgres' && replicas !== 1)) {
      throw new Error('--replicas: SQLite (and the bare server) support 1 replica, PostgreSQL 1 or 2');
    }
    if (store !== 'bare') {
      scenarios.push({ name: `${store}×${replicas}`, store, replicas });
    }
  } else {
    scenarios.push(
      { name: 'sqlite×1', store: 'sqlite', replicas: 1 },
      { name: 'postgres×1', store: 'postgres', replicas: 1 },
      { name: 'postgres×2', store: 'postgres', replicas: 2 },
    );
  }
  if (!values['skip-bare'] || values.store === 'bare') {
    scenarios.push({ name: 'bare grpc-js (ceiling)', store: 'bare', replicas: 1 });
  }
  return {
    agents: int(values.agents, 'agents', 1),
    scenarios,
    workers: int(values.workers, 'workers', 1),
    agentsPerChannel: int(values['agents-per-channel'], 'agents-per-channel', 1),
    progressMessages: int(values.progress, 'progress', 0),
    samplesPerProgress: int(values.samples, 'samples', 1),
    resultSamples: int(values['result-samples'], 'result-samples', 1),
    opRows: int(values['op-rows'], 'op-rows', 1),
    rate: int(values.rate, 'rate', 1),
    execSpread: fraction(values['exec-spread'], 'exec-spread'),
    warmupS: int(values.warmup, 'warmup', 0),
    windowS: int(values.window, 'window', 1),
    saturatedWarmupS: 2,
    saturatedWindowS: int(values['saturated-window'], 'saturated-window', 0),
    ingestWarmupS: 3,
    ingestWindowS: values['skip-ingest'] ? 0 : int(values['ingest-window'], 'ingest-window', 0),
    ahead: int(values.ahead, 'ahead', 1),
    repeat: int(values.repeat, 'repeat', 1),
    json: values.json,
    cpuProfDir: values['cpu-prof'],
    sqlProfDir: values['sql-prof'],
    nodeFlags: values['node-flag'].flatMap((f) => f.split(' ').filter(Boolean)),
    logsDir: values.logs,
    connectTimeoutS: int(values['connect-timeout'], 'connect-timeout', 1),
    connectBatch: 50,
    connectEveryMs: 20,
    adminUrl: process.env.MLFARM_TEST_POSTGRES_URL || DEFAULT_ADMIN_URL,
    maxActiveRuns: int(values['max-active-runs'], 'max-active-runs', 1),
  };
}
