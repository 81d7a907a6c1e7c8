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

/** A family's series, and a count of the times any left it (remove, reset): what a handle checks. */
interface SeriesTable {
  readonly byKey: Map<string, Series>;
  generation: number;
}

/** One series of a LastValueGauge, found once: setting it writes a number, with no labels to key or hash. */
export interface GaugeChild {
  set(value: number): void;
  /** Takes the series out of the family, as LastValueGauge.remove; a later set() puts it back. */
  remove(): void;
}

class LastValueGaugeChild implements GaugeChild {
  /** The table's generation when `series` was last known to be in it; -1: not yet in it. */
  private generation = -1;

  constructor(
    private readonly table: SeriesTable,
    private readonly key: string,
    private series: Series,
  ) {}

  set(value: number): void {
    if (this.generation !== this.table.generation) {
      this.attach();
    }
    this.series.value = value;
  }

  remove(): void {
    if (this.table.byKey.delete(this.key)) {
      this.table.generation += 1;
    }
  }

  /** Back into the family if a removal or reset took it out; the family's own series if one was set meanwhile. */
  private attach(): void {
    const found = this.table.byKey.get(this.key);
    if (found) {
      this.series = found;
    } else {
      this.table.byKey.set(this.key, this.series);
    }
    this.generation = this.table.generation;
  }
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
 * A writer that sets the same series again and again takes a handle, child(labels), once: its set() is a
 * field write, with no key to build and hash (a thousand agents' results set ~40,000 series).
 */
export class LastValueGauge<L extends string> {
  readonly type = 'gauge';
  readonly aggregator = 'last';
  private readonly table: SeriesTable = { byKey: new Map(), generation: 0 };
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
    const series = this.table.byKey.get(key);
    if (series) {
      series.value = value;
      return;
    }
    this.table.byKey.set(key, this.newSeries(labels, value));
  }

  /**
   * A handle on the series of `labels`, which it finds (or prepares) now: the series shows from the
   * handle's first set(). It stays valid across remove() and reset(): a set() after them puts the series back.
   */
  child(labels: Record<L, string>): GaugeChild {
    const key = this.keyOf(labels);
    return new LastValueGaugeChild(this.table, key, this.table.byKey.get(key) ?? this.newSeries(labels, 0));
  }

  remove(labels: Record<L, string>): void {
    if (this.table.byKey.delete(this.keyOf(labels))) {
      this.table.generation += 1;
    }
  }

  reset(): void {
    this.table.byKey.clear();
    this.table.generation += 1;
  }

  async renderExposition(): Promise<string> {
    await this.collect?.();
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} gauge`];
    let n = 0;
    for (const s of this.table.byKey.values()) {
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
      values: [...this.table.byKey.values()].map((s) => ({ labels: { ...s.labels }, value: s.value })),
      aggregator: this.aggregator,
    };
  }

  private newSeries(labels: Record<L, string>, value: number): Series {
    const own = {} as Record<string, string>;
    for (const name of this.labelNames) {
      own[name] = String(labels[name] ?? '');
    }
    const pairs = formatLabelPairs(this.labelNames, own);
    return { labels: own, prefix: pairs ? `${this.name}{${pairs}}` : this.name, value };
  }

  private keyOf(labels: Record<L, string>): string {
    return seriesKey(this.name, this.labelNames, labels);
  }
}
