/** Numbers of one scenario, their median over repeats, the aims, and the Markdown table. */

export interface PhaseResult {
  windowS: number;
  /** Fake execution per task (0 = saturated: report at once). */
  execMs: number;
  tasksPerS: number;
  p50Ms: number;
  p99Ms: number;
  latencyCount: number;
  /** From the server's own counter (mlfarm_inference_latency_seconds_count); NaN if unreadable. */
  samplesPerS: number;
  /** What the agents sent in progress messages, for comparison. */
  samplesSentPerS: number;
  resultsPerS: number;
  /** Per replica (or the bare server), % of one core. */
  serverCpuPct: number[];
  postgresCpuPct?: number;
  generatorCpuPct: number;
  /** Busy CPU of the whole machine minus the above: other people's work on a shared machine. */
  othersCpuPct: number;
  /** p99 event-loop delay of the load generator's worst thread: a floor under the latencies it measures. */
  generatorLoopP99Ms: number;
  /** Per replica: the coordinator's event-loop delay p99 and max over the window (prom-client's gauges). */
  serverLoopP99Ms: number[];
  serverLoopMaxMs: number[];
  /**
   * Per replica: how long its /metrics took to read at the window's start (that scrape's work falls in
   * the window, as a Prometheus scrape would).
   */
  serverScrapeMs: number[];
  /** Per replica (or the bare server): the highest resident set (VmRSS) sampled during the window, MiB. */
  rssMiB?: number[];
  /** Only of the ingest phase. */
  ingest?: IngestStats;
}

/** What the ingest phase adds: every agent holds one task and streams its progress as fast as it can. */
export interface IngestStats {
  /** Seconds from the phase's start until every agent had been given the task it holds (NaN: not within the limit). */
  allHeldS: number;
  /** Distinct agents that sent progress in the window. */
  streamingAgents: number;
  /** Agents holding a task (and streaming) when the window started and when it ended. */
  holdingAtStart: number;
  holdingAtEnd: number;
  /** Progress messages the coordinators dropped past their inbound backlog per agent (their counter). */
  droppedProgressPerS: number;
  /** Held tasks that reached the coordinator's live cap per task in the window, reported and replaced. */
  rotations: number;
  /** Times per second an agent's write() returned false and it waited for 'drain'. */
  drainWaitsPerS: number;
}

export interface ScenarioResult {
  scenario: string;
  bare: boolean;
  error?: string;
  agents: number;
  welcomed: number;
  /** ListAgents over all replicas (connected ids, merged); undefined for the bare server. */
  listed?: number;
  paced?: PhaseResult;
  saturated?: PhaseResult;
  ingest?: PhaseResult;
  rssPeakMiB: number[];
  runsSubmitted: number;
  streamsEnded: number;
  streamErrors: string[];
  overlapping: number;
  connectS: number;
  notes: string[];
  ingestVsBare?: { paced?: number; saturated?: number; ingest?: number };
  cpuProfile?: { replica: number; file: string; top: { fn: string; where: string; selfPct: number }[] }[];
  /** Per replica: the SQL statements that cost most (sql-timer.js), with counts per task handled. */
  sqlProfile?: {
    replica: number;
    tasks: number;
    top: { sql: string; count: number; perTask: number; ms: number; prepareMs: number }[];
  }[];
}

export const AIMS = {
  tasksPerS: 500,
  p99Ms: 100,
  rssMiB: 1024,
  ingestVsBare: 0.5,
};

export function quantile(values: number[], q: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = Float64Array.from(values).sort();
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

const median = (values: number[]): number => quantile(values, 0.5);

function medianPhase(phases: PhaseResult[]): PhaseResult | undefined {
  const first = phases[0];
  if (!first) {
    return undefined;
  }
  const m = (pick: (p: PhaseResult) => number): number => median(phases.map(pick));
  const ig = first.ingest;
  const mi = (pick: (i: IngestStats) => number): number => m((p) => (p.ingest ? pick(p.ingest) : NaN));
  return {
    windowS: first.windowS,
    execMs: first.execMs,
    tasksPerS: m((p) => p.tasksPerS),
    p50Ms: m((p) => p.p50Ms),
    p99Ms: m((p) => p.p99Ms),
    latencyCount: m((p) => p.latencyCount),
    samplesPerS: m((p) => p.samplesPerS),
    samplesSentPerS: m((p) => p.samplesSentPerS),
    resultsPerS: m((p) => p.resultsPerS),
    serverCpuPct: first.serverCpuPct.map((_, i) => m((p) => p.serverCpuPct[i] ?? NaN)),
    postgresCpuPct: first.postgresCpuPct === undefined ? undefined : m((p) => p.postgresCpuPct ?? NaN),
    generatorCpuPct: m((p) => p.generatorCpuPct),
    othersCpuPct: m((p) => p.othersCpuPct),
    generatorLoopP99Ms: m((p) => p.generatorLoopP99Ms),
    serverLoopP99Ms: first.serverLoopP99Ms.map((_, i) => m((p) => p.serverLoopP99Ms[i] ?? NaN)),
    serverScrapeMs: first.serverScrapeMs.map((_, i) => m((p) => p.serverScrapeMs[i] ?? NaN)),
    serverLoopMaxMs: first.serverLoopMaxMs.map((_, i) => m((p) => p.serverLoopMaxMs[i] ?? NaN)),
    rssMiB: first.rssMiB?.map((_, i) => m((p) => p.rssMiB?.[i] ?? NaN)),
    ingest: ig && {
      allHeldS: mi((i) => i.allHeldS),
      streamingAgents: mi((i) => i.streamingAgents),
      holdingAtStart: mi((i) => i.holdingAtStart),
      holdingAtEnd: mi((i) => i.holdingAtEnd),
      droppedProgressPerS: mi((i) => i.droppedProgressPerS),
      rotations: mi((i) => i.rotations),
      drainWaitsPerS: mi((i) => i.drainWaitsPerS),
    },
  };
}

/** Field by field median over the repeats that did not fail (each field on its own: a "median run" may not exist). */
export function medianResult(repeats: ScenarioResult[]): ScenarioResult {
  const ok = repeats.filter((r) => !r.error);
  const base = ok[0] ?? repeats[0]!;
  if (ok.length === 0) {
    return base;
  }
  const failed = repeats.length - ok.length;
  return {
    ...base,
    welcomed: median(ok.map((r) => r.welcomed)),
    listed: base.listed === undefined ? undefined : median(ok.map((r) => r.listed ?? NaN)),
    paced: medianPhase(ok.flatMap((r) => (r.paced ? [r.paced] : []))),
    saturated: medianPhase(ok.flatMap((r) => (r.saturated ? [r.saturated] : []))),
    ingest: medianPhase(ok.flatMap((r) => (r.ingest ? [r.ingest] : []))),
    rssPeakMiB: base.rssPeakMiB.map((_, i) => median(ok.map((r) => r.rssPeakMiB[i] ?? NaN))),
    connectS: median(ok.map((r) => r.connectS)),
    notes: [
      ...base.notes,
      ...(repeats.length > 1 ? [`median of ${ok.length} repeats`] : []),
      ...(failed > 0 ? [`${failed} repeat(s) failed: ${repeats.find((r) => r.error)?.error}`] : []),
    ],
  };
}

/** Sets ingestVsBare on every coordinator row from the bare row. */
export function addRatios(rows: ScenarioResult[]): void {
  const bare = rows.find((r) => r.bare && !r.error);
  if (!bare) {
    return;
  }
  for (const row of rows.filter((r) => !r.bare && !r.error)) {
    const ratio = (a?: PhaseResult, b?: PhaseResult): number | undefined =>
      a && b && b.samplesPerS > 0 ? a.samplesPerS / b.samplesPerS : undefined;
    row.ingestVsBare = {
      paced: ratio(row.paced, bare.paced),
      saturated: ratio(row.saturated, bare.saturated),
      ingest: ratio(row.ingest, bare.ingest),
    };
  }
}

/** The aims this row misses; empty when all are met. */
export function missedAims(row: ScenarioResult): string[] {
  const missed: string[] = [];
  const connected = Math.min(row.welcomed, row.listed ?? row.welcomed);
  if (connected < row.agents) {
    missed.push(`connected ${connected}/${row.agents}`);
  }
  if (!(row.paced && row.paced.tasksPerS >= AIMS.tasksPerS)) {
    missed.push(`tasks/s < ${AIMS.tasksPerS}`);
  }
  if (!(row.paced && row.paced.p99Ms < AIMS.p99Ms)) {
    missed.push(`p99 >= ${AIMS.p99Ms} ms`);
  }
  if (row.rssPeakMiB.some((r) => !(r < AIMS.rssMiB))) {
    missed.push(`RSS >= ${AIMS.rssMiB} MiB`);
  }
  // Sample ingestion on its own: the ingest phase (agents hold their task and stream progress), not the
  // saturated phase, whose samples/s is bounded by task turnover (results, leases, writes).
  const ingest = row.ingestVsBare?.ingest;
  if (!row.ingest) {
    missed.push('ingest not measured (ingest phase skipped or failed)');
  } else if (!(ingest !== undefined && ingest >= AIMS.ingestVsBare)) {
    missed.push(
      `ingest < ${AIMS.ingestVsBare}x bare${ingest === undefined ? ' (no bare ingest to compare)' : ''}`,
    );
  }
  return missed;
}

const f0 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0));
const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));
const f2 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));

export function markdownTable(rows: ScenarioResult[]): string {
  const header = [
    'scenario',
    'agents connected',
    'tasks/s',
    'dispatch p50 ms',
    'p99 ms',
    'samples/s',
    'ingest vs bare (paced / sat.)',
    'ingest samples/s (vs bare)',
    'max tasks/s (sat.)',
    'coordinator RSS MiB (per replica)',
    'coordinator CPU % (paced / sat.)',
    'coordinator CPU % / RSS MiB (ingest)',
    'PostgreSQL CPU % (paced / sat. / ingest)',
    "load generator CPU % / loop p99 ms; others' CPU % (paced)",
    'aims met',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const r of rows) {
    if (r.error && !r.paced) {
      const cells = [
        r.scenario,
        `ERROR: ${r.error.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 300)}`,
      ];
      lines.push(`| ${cells.join(' | ')} |${' |'.repeat(header.length - cells.length)}`);
      continue;
    }
    const p = r.paced;
    const s = r.saturated;
    const ig = r.ingest;
    const cpu = p?.serverCpuPct.map((c, i) => `${f0(c)} / ${f0(s?.serverCpuPct[i])}`).join(', ');
    const ingestCpu = ig?.serverCpuPct.map((c, i) => `${f0(c)} / ${f0(ig.rssMiB?.[i])}`).join(', ');
    const ingestCell = !ig
      ? '-'
      : `${f0(ig.samplesPerS)} (${r.bare ? '1, reference' : f2(r.ingestVsBare?.ingest)})`;
    const missed = missedAims(r);
    lines.push(
      `| ${[
        r.scenario,
        `${f0(r.welcomed)}${r.listed === undefined ? '' : ` (listed ${f0(r.listed)})`}`,
        f0(p?.tasksPerS),
        f1(p?.p50Ms),
        f1(p?.p99Ms),
        f0(p?.samplesPerS),
        r.bare ? '1 (reference)' : `${f2(r.ingestVsBare?.paced)} / ${f2(r.ingestVsBare?.saturated)}`,
        ingestCell,
        f0(s?.tasksPerS),
        r.rssPeakMiB.map(f0).join(', '),
        cpu ?? '-',
        ingestCpu ?? '-',
        p?.postgresCpuPct === undefined
          ? '-'
          : `${f0(p.postgresCpuPct)} / ${f0(s?.postgresCpuPct)} / ${f0(ig?.postgresCpuPct)}`,
        `${f0(p?.generatorCpuPct)} / ${f1(p?.generatorLoopP99Ms)}; ${f0(p?.othersCpuPct)}`,
        r.bare ? 'n/a (ceiling)' : missed.length === 0 ? 'yes, all 5' : `no: ${missed.join('; ')}`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** One line per row about its ingest phase: what was sent, dropped, held, and what the generator spent. */
export function ingestNotes(rows: ScenarioResult[], samplesPerProgress: number): string[] {
  return rows.flatMap((r) => {
    const p = r.ingest;
    const i = p?.ingest;
    if (!p || !i) {
      return [];
    }
    return [
      `- ${r.scenario} ingest: ${f0(p.samplesPerS)} samples/s counted of ${f0(p.samplesSentPerS)} sent; ` +
        `${f0(i.droppedProgressPerS)} progress messages/s (${f0(i.droppedProgressPerS * samplesPerProgress)} ` +
        `samples/s) dropped past the coordinator's inbound bound; every agent held a task ` +
        `${Number.isFinite(i.allHeldS) ? `${f1(i.allHeldS)} s after the phase began` : 'NOT within 30 s'}, ` +
        `${f0(i.streamingAgents)} streamed in the window, ${f0(i.holdingAtStart)} / ${f0(i.holdingAtEnd)} ` +
        `held one at its start / end; ` +
        `${f0(i.drainWaitsPerS)} drain waits/s; ${f0(i.rotations)} tasks rotated at the live cap; ` +
        `load generator CPU ${f0(p.generatorCpuPct)} % (loop p99 ${f1(p.generatorLoopP99Ms)} ms); ` +
        `others' CPU ${f0(p.othersCpuPct)} %`,
    ];
  });
}
