import type { TaskResult } from '#contracts';
import {
  type CoordinatorMetrics,
  type GaugeChild,
  type ResultLabels,
  msToSeconds,
  remainingSamples,
} from '#metrics';

const STATS = ['median', 'p90', 'p99', 'mean', 'min', 'max'] as const;

/** Time of one (op type, provider) in a result, summed over its nodes. */
interface OpSum {
  opType: string;
  provider: string;
  ms: number;
  nodes: number;
}

interface OpGauges {
  latency: GaugeChild;
  nodes: GaugeChild;
}

/**
 * The last-result gauges of one result series, found once (LastValueGauge.child): a result sets them by
 * writing numbers, with no labels to key. A gauge a result may lack (latency summary, arena, fidelity) is
 * taken at the first result that has it, so it shows only from then on, as before. Handles, not results:
 * holding a thousand whole results (their per-node rows and samples) past several young-generation
 * collections made the collector copy them, which doubled its pauses at a thousand agents
 * (scripts/bench-scale.ts, node --trace-gc).
 */
interface SeriesGauges {
  /** In STATS order. */
  latency?: GaugeChild[];
  modelLoad: GaugeChild;
  firstRun: GaugeChild;
  rss: GaugeChild;
  arena?: GaugeChild;
  cosine?: GaugeChild;
  snr?: GaugeChild;
  top1?: GaugeChild;
  top5?: GaugeChild;
  timestamp: GaugeChild;
  /** By `${opType}\u0000${provider}`: the op types of the series' latest result. */
  ops: Map<string, OpGauges>;
}

interface ModelGauges {
  size: GaugeChild;
  gzipSize: GaugeChild;
}

/**
 * Turns stored results into metrics, all at once: the latency samples not observed live, the results
 * counter and the last-result gauges. The gauges are set through handles kept per series (SeriesGauges), a
 * few field writes per result. (They were once set only when a scrape read them, from the latest result of
 * each series, because setting some fifty labelled gauges per result cost a tenth of the coordinator's
 * time; but that flush built and hashed a key per gauge, ~90 ms per scrape at a thousand agents on the
 * thread that dispatches, and with handles there is nothing left to save by deferring.) Per-op rows are
 * summed per (op type, provider): node names never become labels. Op series of an earlier result that the
 * new one lacks are removed, so a runtime that fuses differently does not leave ghosts in the per-op panels.
 */
export class ResultMetricsRecorder {
  /** By the series' labels as JSON. */
  private readonly series = new Map<string, SeriesGauges>();
  /** By `${model}\u0000${variant}`. */
  private readonly models = new Map<string, ModelGauges>();

  constructor(private readonly metrics: CoordinatorMetrics) {}

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
    const metrics = this.metrics;
    const latency = metrics.inferenceLatency.labels(labels);
    for (const ms of remainingSamples(m.samplesMs, seenLive)) {
      latency.observe(msToSeconds(ms));
    }
    metrics.results.inc(labels);

    const seriesKey = JSON.stringify(labels);
    let g = this.series.get(seriesKey);
    if (!g) {
      g = {
        modelLoad: metrics.modelLoad.child(labels),
        firstRun: metrics.firstRun.child(labels),
        rss: metrics.peakMemory.child({ ...labels, kind: 'rss' }),
        timestamp: metrics.resultTimestamp.child(labels),
        ops: new Map(),
      };
      this.series.set(seriesKey, g);
    }
    const summary = m.latency;
    if (summary) {
      g.latency ??= STATS.map((stat) => metrics.resultLatency.child({ ...labels, stat }));
      for (let i = 0; i < STATS.length; i++) {
        g.latency[i]!.set(msToSeconds(summary[STATS[i]!]));
      }
    }
    g.modelLoad.set(msToSeconds(m.loadMs));
    g.firstRun.set(msToSeconds(m.firstRunMs));
    g.rss.set(Number(m.peakRssBytes));
    const arenaPeakBytes = Number(m.arenaPeakBytes);
    if (arenaPeakBytes > 0) {
      (g.arena ??= metrics.peakMemory.child({ ...labels, kind: 'arena' })).set(arenaPeakBytes);
    }
    if (result.model) {
      const modelKey = `${labels.model}\u0000${labels.variant}`;
      let model = this.models.get(modelKey);
      if (!model) {
        const modelLabels = { model: labels.model, variant: labels.variant };
        model = {
          size: metrics.modelSize.child(modelLabels),
          gzipSize: metrics.modelGzipSize.child(modelLabels),
        };
        this.models.set(modelKey, model);
      }
      model.size.set(Number(result.model.sizeBytes));
      model.gzipSize.set(Number(result.model.gzipSizeBytes));
    }
    const fidelity = m.fidelity;
    if (fidelity) {
      (g.cosine ??= metrics.fidelity.child({ ...labels, metric: 'cosine' })).set(fidelity.cosine);
      (g.snr ??= metrics.snr.child(labels)).set(fidelity.snrDb);
      if (fidelity.top1Agreement !== undefined && fidelity.top1Agreement !== null) {
        (g.top1 ??= metrics.fidelity.child({ ...labels, metric: 'top1_agreement' })).set(
          fidelity.top1Agreement,
        );
      }
      if (fidelity.top5Agreement !== undefined && fidelity.top5Agreement !== null) {
        (g.top5 ??= metrics.fidelity.child({ ...labels, metric: 'top5_agreement' })).set(
          fidelity.top5Agreement,
        );
      }
    }
    this.recordOps(g.ops, labels, sumOps(m.ops));
    g.timestamp.set(nowMs / 1000);
  }

  private recordOps(gauges: Map<string, OpGauges>, labels: ResultLabels, sums: Map<string, OpSum>): void {
    for (const [key, op] of gauges) {
      if (!sums.has(key)) {
        op.latency.remove();
        op.nodes.remove();
        gauges.delete(key);
      }
    }
    for (const [key, sum] of sums) {
      let op = gauges.get(key);
      if (!op) {
        const opLabels = { ...labels, op_type: sum.opType, provider: sum.provider };
        op = { latency: this.metrics.opLatency.child(opLabels), nodes: this.metrics.opNodes.child(opLabels) };
        gauges.set(key, op);
      }
      op.latency.set(msToSeconds(sum.ms));
      op.nodes.set(sum.nodes);
    }
  }
}

/**
 * Per-node rows summed per (op type, provider), by `${opType}\u0000${provider}` in order of first
 * appearance: node names never become labels.
 */
function sumOps(ops: { opType: string; provider: string; medianMs: number }[]): Map<string, OpSum> {
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
  return byKey;
}
