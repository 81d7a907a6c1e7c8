import { METRIC } from '#metrics';

/** Every template variable is a multi-select with "All" = `.*`, so selectors always use `=~`. */
export const RESULT_FILTER = 'model=~"$model",variant=~"$variant",agent=~"$agent",ep=~"$ep"';
export const MODEL_FILTER = 'model=~"$model",variant=~"$variant"';

/** `metric{RESULT_FILTER,extra}` */
export function selected(metric: string, extra = '', filter = RESULT_FILTER): string {
  return `${metric}{${[filter, extra].filter(Boolean).join(',')}}`;
}

export function median(extra = ''): string {
  return selected(METRIC.resultLatency, `stat="median"${extra ? `,${extra}` : ''}`);
}

/** Latency quantile over the live histogram, per the given labels. */
export function histogramQuantile(q: number, by: string): string {
  return `histogram_quantile(${q}, sum by (${by}, le) (rate(${selected(`${METRIC.inferenceLatency}_bucket`)}[$__rate_interval])))`;
}
