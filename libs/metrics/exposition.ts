import type { Registry } from 'prom-client';

/** A family that writes its own text exposition, faster than prom-client formatting value by value. */
export interface SelfRendering {
  renderExposition(): Promise<string>;
}

function isSelfRendering(metric: unknown): metric is SelfRendering {
  return typeof (metric as Partial<SelfRendering>).renderExposition === 'function';
}

/** A scrape's slices get at most a ninth of the thread: it pauses eight times as long as it worked. */
const PAUSE_PER_WORK = 8;
const MAX_PAUSE_MS = 50;
/**
 * Pauses stop once a scrape has taken this long. On a saturated thread every turn of the loop is long
 * and timers fire late, and a scrape that yielded a turn after every few milliseconds of work took 16 s
 * (bench-scale, saturated phase; paced, it missed the bench's 30 s limit): past this point it yields only
 * after LATE_SLICE_MS of work, to finish within Prometheus' timeout (10 s by default) when the farm is
 * busiest.
 */
const PACED_FOR_MS = 2_500;
const LATE_SLICE_MS = 25;
/** A slice that began longer ago than this was not one of ours: the next one starts a new scrape. */
const SLICE_HORIZON_MS = 1_000;
let resumedAt = -Infinity;
let scrapeStartedAt = -Infinity;

/**
 * Yields between slices of a scrape's work (setting the last-result gauges, writing the families). The
 * scrape is background work: at a thousand agents it is ~200 ms of CPU, and taken in one go, even in
 * slices, it left the messages that came meanwhile a backlog to clear at whatever the thread had to spare
 * (bench-scale: dispatch p99 85-95 ms without a scrape in the window, 130-240 with one). Paced, the scrape
 * takes a few times longer and less of a backlog forms. A short slice still yields a whole turn of the
 * loop (setImmediate), so everything that came in runs first.
 */
async function yieldToLoop(): Promise<void> {
  const now = performance.now();
  const worked = now - resumedAt;
  if (worked >= SLICE_HORIZON_MS) {
    scrapeStartedAt = now;
  }
  const late = worked < SLICE_HORIZON_MS && now - scrapeStartedAt >= PACED_FOR_MS;
  if (late && worked < LATE_SLICE_MS) {
    return; // the slice goes on
  }
  const paced = worked < SLICE_HORIZON_MS && !late;
  const pauseMs = paced ? Math.min(MAX_PAUSE_MS, worked * PAUSE_PER_WORK) : 0;
  await new Promise((resolve) => (pauseMs >= 1 ? setTimeout(resolve, pauseMs) : setImmediate(resolve)));
  resumedAt = performance.now();
}

/**
 * The registry's Prometheus text (format 0.0.4), the same as `Registry.metrics()`, a family at a time with
 * a turn of the event loop between families, each family handed to `write` as soon as it is ready (so a
 * response can send it, and encode it, before the next is read). prom-client reads every family within
 * one turn: at a thousand agents' series (6.7 MB of text) that held a coordinator's messages for hundreds
 * of milliseconds at every scrape (scripts/bench-scrape.ts). Families that render themselves
 * (SelfRendering) skip prom-client's per-value formatting.
 */
export async function writeExposition(registry: Registry, write: (text: string) => void): Promise<void> {
  let first = true;
  for (const metric of registry.getMetricsAsArray()) {
    const text = isSelfRendering(metric)
      ? await metric.renderExposition()
      : await registry.getSingleMetricAsString(metric.name);
    write(first ? text : `\n\n${text}`);
    first = false;
    await yieldToLoop();
  }
  write('\n');
}

/** writeExposition's text as one string. */
export async function renderExposition(registry: Registry): Promise<string> {
  const parts: string[] = [];
  await writeExposition(registry, (text) => parts.push(text));
  return parts.join('');
}

/** As prom-client writes a sample value. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) {
    return 'Nan';
  }
  if (!Number.isFinite(value)) {
    return value < 0 ? '-Inf' : '+Inf';
  }
  return `${value}`;
}

/** As prom-client escapes a label value. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** As prom-client escapes a family's name and help text. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `name="value",...` in the given order, escaped: the inside of a sample's braces. */
export function formatLabelPairs(names: readonly string[], values: Record<string, string>): string {
  return names.map((name) => `${name}="${escapeLabelValue(String(values[name] ?? ''))}"`).join(',');
}

/** One series' key: its label values in `labelNames` order, each ended by U+0000. */
export function seriesKey(
  metric: string,
  labelNames: readonly string[],
  labels: Record<string, unknown>,
): string {
  let key = '';
  for (const name of labelNames) {
    const value = labels[name];
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'number') {
      throw new TypeError(`${metric}: label ${name} must be a string`);
    }
    key += `${value ?? ''}\u0000`;
  }
  return key;
}

/** Yields to the event loop after this many samples written by a self-rendering family. */
export const RENDER_SLICE = 2_000;
export { yieldToLoop };
