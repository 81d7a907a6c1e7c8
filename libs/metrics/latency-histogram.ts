import type { Metric, MetricValueWithName, Registry } from 'prom-client';
import {
  RENDER_SLICE,
  escapeHelp,
  formatLabelPairs,
  formatValue,
  seriesKey,
  yieldToLoop,
} from './exposition.js';

/** The shape prom-client's Registry reads from a metric's get(). */
export interface HistogramExport {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportValue[];
  aggregator: 'sum';
}

type ExportValue = MetricValueWithName<string> & { sharedLabels?: Record<string, string> };

interface Series<L extends string> {
  labels: Record<L, string>;
  /** Its labels escaped and joined, written once. */
  pairs: string;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
  /** Set by remove()/reset(): a child still holding it finds its series again. */
  dropped: boolean;
}

/** What observing through `labels()` returns: one series, found once. */
export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * A histogram for the one family that sees every timed sample of every agent
 * (`mlfarm_inference_latency_seconds`): at a thousand agents that is millions of observations a second.
 * prom-client's Histogram validates and hashes the labels and converts the bucket bound to a string key
 * on every observation, even through a child from `labels()`; that was the coordinator's largest cost
 * under ingest. Here a series is found once, buckets are a typed array found by binary search, and the
 * exposition (registered in a prom-client Registry) is the same text prom-client writes, which
 * `latency-histogram.spec.ts` checks line by line.
 */
export class LatencyHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  private readonly boundText: string[];
  private series = new Map<string, Series<L>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    buckets: readonly number[],
    registers: Registry[],
  ) {
    const sorted = [...buckets].sort((a, b) => a - b);
    this.bounds = Float64Array.from(sorted);
    this.boundText = sorted.map(String);
    for (const registry of registers) {
      registry.registerMetric(this as unknown as Metric);
    }
  }

  /** The series appears at its first observation, as with prom-client, not when it is looked up. */
  labels(labels: Record<L, string>): HistogramSeries {
    let series: Series<L> | undefined;
    return {
      observe: (value) => {
        if (!series || series.dropped) {
          series = this.seriesOf(labels);
        }
        this.add(series, value);
      },
    };
  }

  observe(labels: Record<L, string>, value: number): void {
    this.add(this.seriesOf(labels), value);
  }

  remove(labels: Record<L, string>): void {
    const key = this.keyOf(labels);
    const series = this.series.get(key);
    if (series) {
      series.dropped = true;
      this.series.delete(key);
    }
  }

  reset(): void {
    for (const series of this.series.values()) {
      series.dropped = true;
    }
    this.series = new Map();
  }

  /** What prom-client's Registry reads to write the exposition: the series labels after `le`, as prom-client. */
  getForPromString(): Promise<HistogramExport> {
    const values: ExportValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({
          labels: { le: this.boundText[i]! },
          sharedLabels: s.labels,
          value: cumulative,
          metricName: bucketName,
        });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  /** The text prom-client writes from getForPromString(), without its per-value formatting (see exposition.ts). */
  async renderExposition(): Promise<string> {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    const bucket = `${this.name}_bucket{le="`;
    let n = 0;
    for (const s of this.series.values()) {
      const rest = s.pairs ? `,${s.pairs}} ` : '} ';
      const own = s.pairs ? `{${s.pairs}} ` : ' ';
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        lines.push(`${bucket}${this.boundText[i]}"${rest}${formatValue(cumulative)}`);
      }
      lines.push(
        `${bucket}+Inf"${rest}${formatValue(s.count)}`,
        `${this.name}_sum${own}${formatValue(s.sum)}`,
        `${this.name}_count${own}${formatValue(s.count)}`,
      );
      n += this.bounds.length + 3;
      if (n >= RENDER_SLICE) {
        n = 0;
        await yieldToLoop();
      }
    }
    return lines.join('\n');
  }

  /** The JSON form (Registry.getMetricsAsJSON): one labels object per value. */
  async get(): Promise<HistogramExport> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return data;
  }

  private add(series: Series<L>, value: number): void {
    if (!Number.isFinite(value)) {
      return; // a sample that is not a number says nothing about latency; prom-client would throw here
    }
    // First bound >= value (Prometheus buckets are "less than or equal"), or +Inf.
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[mid]! < value) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    series.counts[lo]! += 1;
    series.sum += value;
    series.count += 1;
  }

  private seriesOf(labels: Record<L, string>): Series<L> {
    const key = this.keyOf(labels);
    let series = this.series.get(key);
    if (!series) {
      const own = {} as Record<L, string>;
      for (const name of this.labelNames) {
        own[name] = String(labels[name] ?? '');
      }
      series = {
        labels: own,
        pairs: formatLabelPairs(this.labelNames, own),
        counts: new Float64Array(this.bounds.length + 1),
        sum: 0,
        count: 0,
        dropped: false,
      };
      this.series.set(key, series);
    }
    return series;
  }

  private keyOf(labels: Record<L, string>): string {
    return seriesKey(this.name, this.labelNames, labels);
  }
}
