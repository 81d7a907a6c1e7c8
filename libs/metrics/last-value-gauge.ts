import type { Metric, MetricValue, Registry } from 'prom-client';
import {
  RENDER_SLICE,
  escapeHelp,
  formatLabelPairs,
  formatValue,
  seriesKey,
  yieldToLoop,
} from './exposition.js';

interface Series {
  labels: Record<string, string>;
  /** The sample's name with its escaped labels, written once. */
  prefix: string;
  value: number;
}

/** What prom-client's Registry reads from a metric's get(). */
export interface GaugeExport {
  name: string;
  help: string;
  type: 'gauge';
  values: MetricValue<string>[];
  aggregator: 'last';
}

/**
 * A gauge family of "last result" values, one series per label set, for the families that hold a value for
 * every agent, model and op type. prom-client's Gauge validates and hashes the labels at every set() and
 * formats every label of every series at every scrape; at a thousand agents a scrape set and wrote tens of
 * thousands of them. Here a series is found by its values joined, its labels are escaped once, and the
 * family renders its own text, yielding to the event loop every few thousand samples. The text is the one
 * prom-client writes, for labels given in `labelNames` order (exposition.spec.ts compares them).
 */
export class LastValueGauge<L extends string> {
  readonly type = 'gauge';
  readonly aggregator = 'last';
  private readonly series = new Map<string, Series>();
  /** Registered hooks run before a read, as prom-client's `collect`. */
  private readonly collect?: () => Promise<void> | void;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    registers: Registry[],
    collect?: () => Promise<void> | void,
  ) {
    this.collect = collect;
    for (const registry of registers) {
      registry.registerMetric(this as unknown as Metric);
    }
  }

  set(labels: Record<L, string>, value: number): void {
    const key = this.keyOf(labels);
    const series = this.series.get(key);
    if (series) {
      series.value = value;
      return;
    }
    const own = {} as Record<string, string>;
    for (const name of this.labelNames) {
      own[name] = String(labels[name] ?? '');
    }
    const pairs = formatLabelPairs(this.labelNames, own);
    this.series.set(key, { labels: own, prefix: pairs ? `${this.name}{${pairs}}` : this.name, value });
  }

  remove(labels: Record<L, string>): void {
    this.series.delete(this.keyOf(labels));
  }

  reset(): void {
    this.series.clear();
  }

  async renderExposition(): Promise<string> {
    await this.collect?.();
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} gauge`];
    let n = 0;
    for (const s of this.series.values()) {
      lines.push(`${s.prefix} ${formatValue(s.value)}`);
      if (++n % RENDER_SLICE === 0) {
        await yieldToLoop();
      }
    }
    return lines.join('\n');
  }

  /** The JSON form (Registry.getMetricsAsJSON), and what Registry.metrics() formats. */
  async get(): Promise<GaugeExport> {
    await this.collect?.();
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: [...this.series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value })),
      aggregator: this.aggregator,
    };
  }

  private keyOf(labels: Record<L, string>): string {
    return seriesKey(this.name, this.labelNames, labels);
  }
}
