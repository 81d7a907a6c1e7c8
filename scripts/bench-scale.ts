// Coordinator scale: up to 1000 simulated agents speaking the real AgentGatewayService protocol (fake
// execution, real messages) against coordinator processes on SQLite, PostgreSQL, and two replicas sharing
// one PostgreSQL, then against a bare grpc-js server with the same proto as the ceiling. Prints a Markdown
// table: agents connected, tasks/s, dispatch latency, samples ingested, RSS, CPU, ratios to the ceiling.
// Three phases per scenario: "paced" (each agent runs a task for agents/rate seconds: the offered load is
// --rate tasks/s, dispatch latency is meaningful), "saturated" (tasks reported at once: capacity) and
// "ingest" (every agent holds one task and streams its progress as fast as flow control allows: sample
// ingestion alone, without task turnover; its ratio to the bare server's is the ingest aim).
// One pass by default (--repeat N for medians): this shared 2-core machine is noisy.
// Usage: node dist/scripts/bench-scale.js [--agents 1000] [--store sqlite|postgres --replicas 1|2] [--help]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as contracts from '#contracts';
import { bundledModelPath } from '#common';
import { POSTGRES_NODE_OPTIONS } from '../apps/coordinator/v8-tuning.js';
import { fingerprint, latencySamples } from './scale/agent-messages.js';
import { cleanupAll, installSignalHandlers, wasInterrupted } from './scale/cleanup.js';
import { parseOptions } from './scale/options.js';
import * as protoPaths from './scale/proto-paths.js';
import { type ScenarioResult, addRatios, ingestNotes, markdownTable, medianResult } from './scale/report.js';
import { resultTemplate } from './scale/result-template.js';
import { runScenario } from './scale/scenario.js';
import { connectSerializers, resultBody, selfCheck } from './scale/wire-codec.js';

installSignalHandlers();
const o = parseOptions(process.argv.slice(2));

for (const key of ['PROTO_ROOT', 'PROTO_FILES', 'GRPC_LOADER_OPTIONS', 'MAX_GRPC_MESSAGE_BYTES'] as const) {
  if (!isDeepStrictEqual(protoPaths[key], contracts[key])) {
    throw new Error(`scripts/scale/proto-paths.ts ${key} differs from #contracts: update it`);
  }
}
const serializers = connectSerializers();
const fp = fingerprint();
const template = resultTemplate(fp, o.resultSamples, o.opRows);
selfCheck(serializers, template, latencySamples(o.samplesPerProgress));
const modelBytes = readFileSync(bundledModelPath('det'));
const shared = {
  modelBytes,
  modelSha256: createHash('sha256').update(modelBytes).digest('hex'),
  resultBody: resultBody(serializers, template),
  fingerprint: fp,
};
process.stderr.write(
  `bench-scale: ${o.agents} agents, ${o.workers} generator threads, ${o.agentsPerChannel} streams per channel; ` +
    `per task: started, ${o.progressMessages} x progress(${o.samplesPerProgress} samples), result ` +
    `(${shared.resultBody.length} B: ${o.opRows} op rows, ${o.resultSamples} samples); paced offer ${o.rate} tasks/s ` +
    `(fake execution ${Math.round((o.agents / o.rate) * 1000)} ms ± ${Math.round(o.execSpread * 100)} %); ` +
    (o.ingestWindowS > 0
      ? `ingest phase: held tasks, progress(${o.samplesPerProgress} samples) as fast as flow control allows, ` +
        `window ${o.ingestWindowS} s\n`
      : 'no ingest phase\n'),
);

const all: ScenarioResult[][] = o.scenarios.map(() => []);
try {
  for (let repeat = 0; repeat < o.repeat && !wasInterrupted(); repeat++) {
    for (const [i, spec] of o.scenarios.entries()) {
      if (wasInterrupted()) {
        break;
      }
      all[i]!.push(await runScenario(spec, o, shared, repeat));
    }
  }
} finally {
  await cleanupAll();
}
if (wasInterrupted()) {
  // The signal handler finishes the cleanup and exits; print nothing half-measured.
  await new Promise(() => undefined);
}
const rows = all.map(medianResult);
addRatios(rows);

const lines = [
  markdownTable(rows),
  '',
  `${o.agents} simulated agents; paced phase: offered ${o.rate} tasks/s (fake execution ${Math.round((o.agents / o.rate) * 1000)} ms ± ${Math.round(o.execSpread * 100)} % per task, uniform), ` +
    `warm-up ${o.warmupS} s, window ${o.windowS} s; saturated phase (sat.): results sent at once, window ${o.saturatedWindowS} s; ` +
    (o.ingestWindowS > 0
      ? `ingest phase: every agent holds one task (started, no result) and streams progress messages of ${o.samplesPerProgress} ` +
        `samples (firstIndex increasing) as fast as write()/'drain' allow, heartbeats going on, warm-up ${o.ingestWarmupS} s, ` +
        `window ${o.ingestWindowS} s; the held tasks are reported after it. `
      : 'ingest phase skipped. ') +
    `${o.repeat === 1 ? 'One pass (noisy shared machine: use --repeat N for medians).' : `Median of ${o.repeat} passes.`}`,
  'tasks/s = assignments received by agents per second; dispatch latency = agent sent its result -> received its next assignment; ' +
    "samples/s = the server's mlfarm_inference_latency_seconds_count per second; ingest vs bare = samples/s / bare samples/s; " +
    'ingest samples/s (vs bare) = the same counter in the ingest phase, and its ratio to the bare server measured in this session; ' +
    'CPU % of one core (utime+stime from /proc over the window); RSS = peak (VmHWM) per process over the scenario; ' +
    'RSS (ingest) = highest VmRSS sampled in the ingest window.',
  `Coordinators run with MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT=${o.maxActiveRuns} (default 100); on PostgreSQL with ` +
    `NODE_OPTIONS=${POSTGRES_NODE_OPTIONS}, as deploy/ runs them.`,
  'Aims: all agents connected, >= 500 tasks/s and p99 < 100 ms in the paced phase, RSS < 1024 MiB, ingest >= 0.5x bare (ingest phase).',
  ...ingestNotes(rows, o.samplesPerProgress),
  ...rows.flatMap((r) =>
    r.notes.length > 0 || r.error
      ? [`- ${r.scenario}: ${[r.error, ...r.notes].filter(Boolean).join('; ')}`]
      : [],
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (o.json) {
  writeFileSync(o.json, `${JSON.stringify({ options: o, rows, repeats: all }, null, 2)}\n`);
  process.stderr.write(`numbers written to ${o.json}\n`);
}
process.exit(0);
