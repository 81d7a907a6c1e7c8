import type { TaskResult } from '#contracts';
import { type CoordinatorMetrics, type ResultLabels, msToSeconds, remainingSamples } from '#metrics';

const STATS = ['median', 'p90', 'p99', 'mean', 'min', 'max'] as const;
/** Series brought up to date between two yields to the event loop. */
const FLUSH_SLICE = 100;

interface LastResult {
  labels: ResultLabels;
  result: TaskResult;
  nowMs: number;
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
    this.pending.set(JSON.stringify(labels), { labels, result, nowMs });
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
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  private setGauges(seriesKey: string, { labels, result, nowMs }: LastResult): void {
    const m = result.measurement!;
    const metrics = this.metrics;
    if (m.latency) {
      for (const stat of STATS) {
        metrics.resultLatency.set({ ...labels, stat }, msToSeconds(m.latency[stat]));
      }
    }
    metrics.modelLoad.set(labels, msToSeconds(m.loadMs));
    metrics.firstRun.set(labels, msToSeconds(m.firstRunMs));
    metrics.peakMemory.set({ ...labels, kind: 'rss' }, Number(m.peakRssBytes));
    if (Number(m.arenaPeakBytes) > 0) {
      metrics.peakMemory.set({ ...labels, kind: 'arena' }, Number(m.arenaPeakBytes));
    }
    if (result.model) {
      const model = { model: labels.model, variant: labels.variant };
      metrics.modelSize.set(model, Number(result.model.sizeBytes));
      metrics.modelGzipSize.set(model, Number(result.model.gzipSizeBytes));
    }
    if (m.fidelity) {
      metrics.fidelity.set({ ...labels, metric: 'cosine' }, m.fidelity.cosine);
      metrics.snr.set(labels, m.fidelity.snrDb);
      for (const [metric, value] of [
        ['top1_agreement', m.fidelity.top1Agreement],
        ['top5_agreement', m.fidelity.top5Agreement],
      ] as const) {
        if (value !== undefined && value !== null) {
          metrics.fidelity.set({ ...labels, metric }, value);
        }
      }
    }
    this.recordOps(seriesKey, labels, m.ops);
    metrics.resultTimestamp.set(labels, nowMs / 1000);
  }

  private recordOps(
    seriesKey: string,
    labels: ResultLabels,
    ops: { opType: string; provider: string; medianMs: number }[],
  ): void {
    const byKey = new Map<string, { op_type: string; provider: string; ms: number; nodes: number }>();
    for (const op of ops) {
      const key = `${op.opType}\u0000${op.provider}`;
      const row = byKey.get(key) ?? { op_type: op.opType, provider: op.provider, ms: 0, nodes: 0 };
      row.ms += op.medianMs;
      row.nodes += 1;
      byKey.set(key, row);
    }
    const current = [...byKey.values()].map((r) => [r.op_type, r.provider]);
    for (const [op_type, provider] of this.opSeries.get(seriesKey) ?? []) {
      if (!byKey.has(`${op_type}\u0000${provider}`)) {
        this.metrics.opLatency.remove({ ...labels, op_type: op_type!, provider: provider! });
        this.metrics.opNodes.remove({ ...labels, op_type: op_type!, provider: provider! });
      }
    }
    for (const row of byKey.values()) {
      const opLabels = { ...labels, op_type: row.op_type, provider: row.provider };
      this.metrics.opLatency.set(opLabels, msToSeconds(row.ms));
      this.metrics.opNodes.set(opLabels, row.nodes);
    }
    this.opSeries.set(seriesKey, current);
  }
}
