import type { Fidelity, TaskResult } from '#contracts';
import {
  type CoordinatorMetrics,
  type ResultLabels,
  msToSeconds,
  remainingSamples,
  yieldToLoop,
} from '#metrics';

const STATS = ['median', 'p90', 'p99', 'mean', 'min', 'max'] as const;
/** Series brought up to date between two yields to the event loop (a few milliseconds at a thousand agents). */
const FLUSH_SLICE = 40;

/** Time of one (op type, provider) in a result, summed over its nodes. */
interface OpSum {
  opType: string;
  provider: string;
  ms: number;
  nodes: number;
}

/**
 * What the gauges show of a series' latest result, and nothing else: it waits here until a scrape,
 * seconds later. Holding the whole result instead (its per-node rows and samples) kept a thousand of them
 * alive past several young-generation collections, which then copied them: at a thousand agents that
 * doubled the collector's pauses (scripts/bench-scale.ts, node --trace-gc) and the dispatch tail with them.
 */
interface LastResult {
  labels: ResultLabels;
  nowMs: number;
  /** In STATS order; absent when the result had no latency summary. */
  latencyMs?: number[];
  loadMs: number;
  firstRunMs: number;
  peakRssBytes: number;
  arenaPeakBytes: number;
  model?: { sizeBytes: number; gzipSizeBytes: number };
  fidelity?: Pick<Fidelity, 'cosine' | 'snrDb' | 'top1Agreement' | 'top5Agreement'>;
  ops: OpSum[];
}

/**
 * Turns stored results into metrics. Counted at once: the latency samples not observed live and the
 * results counter. The last-result gauges only keep the latest result per series and are set from it when
 * a scrape reads them (see createCoordinatorMetrics). Per-op rows are summed per (op type, provider):
 * node names never become labels. Op series of an earlier result that the new one lacks are removed,
 * so a runtime that fuses differently does not leave ghosts in the per-op panels.
 */
export class ResultMetricsRecorder {
  private readonly opSeries = new Map<string, string[][]>();
  private readonly pending = new Map<string, LastResult>();
  private flushing?: Promise<void>;

  constructor(private readonly metrics: CoordinatorMetrics) {
    metrics.onScrape(() => this.flush());
  }

  record(
    labels: ResultLabels,
    result: TaskResult,
    seenLive: { has(index: number): boolean },
    nowMs: number,
  ): void {
    const m = result.measurement;
    if (!m) {
      return;
    }
    const latency = this.metrics.inferenceLatency.labels(labels);
    for (const ms of remainingSamples(m.samplesMs, seenLive)) {
      latency.observe(msToSeconds(ms));
    }
    this.metrics.results.inc(labels);
    this.pending.set(JSON.stringify(labels), {
      labels,
      nowMs,
      latencyMs: m.latency ? STATS.map((stat) => m.latency![stat]) : undefined,
      loadMs: m.loadMs,
      firstRunMs: m.firstRunMs,
      peakRssBytes: Number(m.peakRssBytes),
      arenaPeakBytes: Number(m.arenaPeakBytes),
      model: result.model
        ? { sizeBytes: Number(result.model.sizeBytes), gzipSizeBytes: Number(result.model.gzipSizeBytes) }
        : undefined,
      fidelity: m.fidelity
        ? {
            cosine: m.fidelity.cosine,
            snrDb: m.fidelity.snrDb,
            top1Agreement: m.fidelity.top1Agreement,
            top5Agreement: m.fidelity.top5Agreement,
          }
        : undefined,
      ops: sumOps(m.ops),
    });
  }

  /**
   * Sets the last-result gauges from the latest result of each series recorded since the last call.
   * Callers that come while it runs share it. A slice at a time, yielding between slices: at a thousand
   * agents one scrape may bring a thousand series up to date, and agents' messages should not wait for all of them.
   */
  flush(): Promise<void> {
    this.flushing ??= this.applyPending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async applyPending(): Promise<void> {
    while (this.pending.size > 0) {
      let n = 0;
      for (const [seriesKey, last] of this.pending) {
        this.pending.delete(seriesKey);
        this.setGauges(seriesKey, last);
        if (++n === FLUSH_SLICE) {
          break;
        }
      }
      if (this.pending.size > 0) {
        await yieldToLoop();
      }
    }
  }

  private setGauges(seriesKey: string, last: LastResult): void {
    const { labels } = last;
    const metrics = this.metrics;
    last.latencyMs?.forEach((ms, i) =>
      metrics.resultLatency.set({ ...labels, stat: STATS[i]! }, msToSeconds(ms)),
    );
    metrics.modelLoad.set(labels, msToSeconds(last.loadMs));
    metrics.firstRun.set(labels, msToSeconds(last.firstRunMs));
    metrics.peakMemory.set({ ...labels, kind: 'rss' }, last.peakRssBytes);
    if (last.arenaPeakBytes > 0) {
      metrics.peakMemory.set({ ...labels, kind: 'arena' }, last.arenaPeakBytes);
    }
    if (last.model) {
      const model = { model: labels.model, variant: labels.variant };
      metrics.modelSize.set(model, last.model.sizeBytes);
      metrics.modelGzipSize.set(model, last.model.gzipSizeBytes);
    }
    const fidelity = last.fidelity;
    if (fidelity) {
      metrics.fidelity.set({ ...labels, metric: 'cosine' }, fidelity.cosine);
      metrics.snr.set(labels, fidelity.snrDb);
      for (const [metric, value] of [
        ['top1_agreement', fidelity.top1Agreement],
        ['top5_agreement', fidelity.top5Agreement],
      ] as const) {
        if (value !== undefined && value !== null) {
          metrics.fidelity.set({ ...labels, metric }, value);
        }
      }
    }
    this.recordOps(seriesKey, labels, last.ops);
    metrics.resultTimestamp.set(labels, last.nowMs / 1000);
  }

  private recordOps(seriesKey: string, labels: ResultLabels, ops: OpSum[]): void {
    const current = new Set(ops.map((op) => `${op.opType}\u0000${op.provider}`));
    for (const [op_type, provider] of this.opSeries.get(seriesKey) ?? []) {
      if (!current.has(`${op_type}\u0000${provider}`)) {
        this.metrics.opLatency.remove({ ...labels, op_type: op_type!, provider: provider! });
        this.metrics.opNodes.remove({ ...labels, op_type: op_type!, provider: provider! });
      }
    }
    for (const op of ops) {
      const opLabels = { ...labels, op_type: op.opType, provider: op.provider };
      this.metrics.opLatency.set(opLabels, msToSeconds(op.ms));
      this.metrics.opNodes.set(opLabels, op.nodes);
    }
    this.opSeries.set(
      seriesKey,
      ops.map((op) => [op.opType, op.provider]),
    );
  }
}

/** Per-node rows summed per (op type, provider), in order of first appearance: node names never become labels. */
function sumOps(ops: { opType: string; provider: string; medianMs: number }[]): OpSum[] {
  const byKey = new Map<string, OpSum>();
  for (const op of ops) {
    const key = `${op.opType}\u0000${op.provider}`;
    const sum = byKey.get(key);
    if (sum) {
      sum.ms += op.medianMs;
      sum.nodes += 1;
    } else {
      byKey.set(key, { opType: op.opType, provider: op.provider, ms: op.medianMs, nodes: 1 });
    }
  }
  return [...byKey.values()];
}
