import { type ResultEntry, type ResultJson } from './result-json.js';
import { boxStats, thin } from './report-stats.util.js';
import { formatBytes } from './report-format.util.js';
import {
  type AgentView,
  type ComparisonGroup,
  type ComparisonRow,
  type HardwareView,
  type MetricCell,
  type MetricKey,
  type OpRow,
  type ReportView,
  type ResultView,
} from './report-view.types.js';

const ORIGINAL = 'original';
const MAX_STRIP_SAMPLES = 2000;

/**
 * Relative change below which a metric counts as unchanged. Sizes are exact, so 1 %; single-shot timings
 * (load, first run) and tail percentiles are noisy, so 5 %. The median uses its CI instead (see verdictOf).
 */
const NOISE: Record<Exclude<MetricKey, 'median'>, number> = {
  sizeBytes: 0.01,
  gzipSizeBytes: 0.01,
  peakRss: 0.01,
  loadMs: 0.05,
  firstRunMs: 0.05,
  p90: 0.05,
  p99: 0.05,
};

export function buildReportView(json: ResultJson): ReportView {
  const entries = [...json.results].sort(compareEntries);
  const modelCount = new Set(entries.map((e) => e.model)).size;
  const results = entries.map((e) => toResultView(e, modelCount > 1));
  const agentNames = new Map(entries.map((e) => [agentIdOf(e), agentNameOf(e)]));
  const createdMs = Date.parse(json.run.createdAt);
  const finishedMs = json.run.finishedAt ? Date.parse(json.run.finishedAt) : Number.NaN;
  return {
    run: json.run,
    durationMs: Number.isFinite(createdMs) && Number.isFinite(finishedMs) ? finishedMs - createdMs : null,
    models: modelsOf(entries),
    variants: unique(entries.map((e) => e.variant)),
    agents: agentsOf(entries),
    results,
    comparisons: comparisonsOf(entries),
    hardware: hardwareOf(entries, modelCount > 1),
    failures: json.failures.map((f) => ({
      model: f.model,
      variant: f.variant,
      ep: f.ep,
      agent: agentNames.get(f.agentId) ?? f.agentId,
      error: f.error,
    })),
  };
}

/** Model, then original before its variants, then agent and EP: the order every section lists results in. */
function compareEntries(a: ResultEntry, b: ResultEntry): number {
  return (
    a.model.localeCompare(b.model) ||
    Number(b.variant === ORIGINAL) - Number(a.variant === ORIGINAL) ||
    a.variant.localeCompare(b.variant) ||
    agentNameOf(a).localeCompare(agentNameOf(b)) ||
    a.ep.localeCompare(b.ep)
  );
}

function agentIdOf(e: ResultEntry): string {
  return typeof e.agent.id === 'string' ? e.agent.id : '';
}

function agentNameOf(e: ResultEntry): string {
  return typeof e.agent.name === 'string' && e.agent.name ? e.agent.name : agentIdOf(e);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function isCpuEp(ep: string): boolean {
  const name = ep.toLowerCase();
  return name === 'cpu' || name === 'cpuexecutionprovider';
}

function toResultView(e: ResultEntry, withModel: boolean): ResultView {
  const reasons = new Map((e.fallbackReasons ?? []).map((r) => [r.node, r.reason]));
  const wantsAccelerator = !isCpuEp(e.ep);
  const ops: OpRow[] = e.ops
    .map((o): OpRow => {
      const fallback = wantsAccelerator && o.provider === 'CPUExecutionProvider';
      return [o.node, o.opType, o.provider, o.medianMs, o.share, fallback ? 1 : 0, reasons.get(o.node) ?? ''];
    })
    .sort((a, b) => b[3] - a[3]);
  const stats = boxStats(e.samplesMs);
  return {
    label: [withModel ? e.model : null, e.variant, agentNameOf(e), e.ep].filter(Boolean).join(' · '),
    model: e.model,
    variant: e.variant,
    agentId: agentIdOf(e),
    agentName: agentNameOf(e),
    ep: e.ep,
    sampleCount: e.samplesMs.length,
    box: stats?.box ?? null,
    outliers: stats?.outliers ?? [],
    samples: thin(e.samplesMs, MAX_STRIP_SAMPLES),
    median: e.latencyMs.median,
    ci95: e.latencyMs.ci95,
    p90: e.latencyMs.p90,
    p99: e.latencyMs.p99,
    ops,
    opTypes: [...e.opTypes]
      .sort((a, b) => b.totalMs - a.totalMs)
      .map((t): [string, number, number, number] => [t.opType, t.count, t.totalMs, t.share]),
    fallbackCount: ops.filter((o) => o[5] === 1).length,
  };
}

function modelsOf(entries: ResultEntry[]): ReportView['models'] {
  const byName = new Map<string, ReportView['models'][number]>();
  for (const e of entries) {
    // The original's facts describe the model; a variant's size is the compressed one.
    if (!byName.has(e.model) || e.variant === ORIGINAL) {
      byName.set(e.model, {
        name: e.model,
        sha256: e.modelSha256,
        sizeBytes: e.variant === ORIGINAL ? e.sizeBytes : (e.compression?.originalSizeBytes ?? 0),
        parameterCount: e.parameterCount,
      });
    }
  }
  return [...byName.values()];
}

const FACT_ORDER: [key: string, label: string][] = [
  ['cpuModel', 'CPU'],
  ['cpuCores', 'cores'],
  ['memoryBytes', 'memory'],
  ['gpu', 'GPU'],
  ['os', 'OS'],
  ['osRelease', 'OS release'],
  ['arch', 'arch'],
  ['hostname', 'host'],
  ['nodeVersion', 'Node.js'],
  ['ortVersion', 'ONNX Runtime'],
];
const NOT_FACTS = new Set(['id', 'name', 'labels', 'intraOpThreads', 'interOpThreads']);

/** The agent record is open-ended (Record<string, unknown>): only plain values are shown. */
function scalar(value: unknown): string | number | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

function agentsOf(entries: ResultEntry[]): AgentView[] {
  const byId = new Map<string, AgentView>();
  for (const e of entries) {
    const id = agentIdOf(e);
    if (byId.has(id)) {
      continue;
    }
    const a = e.agent;
    const facts: [string, string][] = [];
    for (const [key, label] of FACT_ORDER) {
      const value = scalar(a[key]);
      if (value !== null && value !== '' && value !== 0) {
        facts.push([label, key === 'memoryBytes' ? formatBytes(Number(value)) : String(value)]);
      }
    }
    const intra = scalar(a.intraOpThreads);
    if (intra !== null) {
      facts.push(['threads (intra/inter)', `${intra}/${scalar(a.interOpThreads) ?? 0}`]);
    }
    // Fingerprint fields added later still show up, after the known ones.
    const known = new Set(FACT_ORDER.map(([key]) => key));
    for (const [key, value] of Object.entries(a)) {
      if (
        !known.has(key) &&
        !NOT_FACTS.has(key) &&
        (typeof value === 'string' || typeof value === 'number')
      ) {
        facts.push([key, String(value)]);
      }
    }
    const labels =
      typeof a.labels === 'object' && a.labels !== null
        ? Object.entries(a.labels as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`)
        : [];
    byId.set(id, { id, name: agentNameOf(e), labels, facts });
  }
  return [...byId.values()];
}

function metricsOf(e: ResultEntry): Record<MetricKey, number | null> {
  return {
    sizeBytes: e.compression?.sizeBytes ?? (e.sizeBytes || null),
    gzipSizeBytes: e.compression?.gzipSizeBytes ?? (e.gzipSizeBytes || null),
    loadMs: e.loadMs,
    firstRunMs: e.firstRunMs,
    median: e.latencyMs.median,
    p90: e.latencyMs.p90,
    p99: e.latencyMs.p99,
    peakRss: e.peakRssBytes || null,
  };
}

/** Lower is better for every metric in the table. */
function verdictOf(key: MetricKey, change: number, e: ResultEntry, base: ResultEntry): MetricCell['verdict'] {
  if (key === 'median') {
    // A median only moved when the two 95 % CIs do not overlap.
    const [lo, hi] = e.latencyMs.ci95;
    const [baseLo, baseHi] = base.latencyMs.ci95;
    return hi < baseLo ? 'better' : lo > baseHi ? 'worse' : 'same';
  }
  return Math.abs(change) < NOISE[key] ? 'same' : change < 0 ? 'better' : 'worse';
}

function comparisonsOf(entries: ResultEntry[]): ComparisonGroup[] {
  const groups = new Map<string, ResultEntry[]>();
  for (const e of entries) {
    const key = JSON.stringify([e.model, agentIdOf(e), e.ep]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((members) => {
    const first = members[0]!;
    const base = members.find((m) => m.variant === ORIGINAL);
    const baseMetrics = base ? metricsOf(base) : null;
    return {
      model: first.model,
      agentName: agentNameOf(first),
      ep: first.ep,
      rows: members.map((e): ComparisonRow => {
        const metrics = metricsOf(e);
        const cells = {} as Record<MetricKey, MetricCell>;
        for (const key of Object.keys(metrics) as MetricKey[]) {
          const value = metrics[key];
          const baseValue = baseMetrics?.[key] ?? null;
          if (!base || e === base || value === null || baseValue === null || baseValue === 0) {
            cells[key] = { value, change: null, verdict: null };
          } else {
            const change = (value - baseValue) / baseValue;
            cells[key] = { value, change, verdict: verdictOf(key, change, e, base) };
          }
        }
        return {
          variant: e.variant,
          isOriginal: e.variant === ORIGINAL,
          ci95: e.latencyMs.ci95,
          cells,
          ratio: e.compression?.ratio ?? null,
          fidelity: e.fidelity ?? null,
          compressionTensors: e.compressionTensors ?? [],
        };
      }),
    };
  });
}

function hardwareOf(entries: ResultEntry[], withModel: boolean): HardwareView {
  const categoryOf = (e: ResultEntry): string => `${agentNameOf(e)} · ${e.ep}`;
  const seriesOf = (e: ResultEntry): string => (withModel ? `${e.model} · ${e.variant}` : e.variant);
  const categories = unique(
    [...entries].sort((a, b) => categoryOf(a).localeCompare(categoryOf(b))).map(categoryOf),
  );
  const names = unique(entries.map(seriesOf));
  return {
    categories,
    series: names.map((name) => ({
      name,
      points: categories.map((category) => {
        const e = entries.find((x) => seriesOf(x) === name && categoryOf(x) === category);
        return e ? [e.latencyMs.median, e.latencyMs.ci95[0], e.latencyMs.ci95[1]] : null;
      }),
    })),
  };
}
