import { type Comparison, MetricVerdict, VerdictOutcome } from '#contracts';

/** The status word of a verdict, e.g. for a headline: PASS, REGRESSED, INCONCLUSIVE, ERROR or PENDING. */
export function outcomeWord(outcome: VerdictOutcome): string {
  switch (outcome) {
    case VerdictOutcome.VERDICT_OUTCOME_PASS:
      return 'PASS';
    case VerdictOutcome.VERDICT_OUTCOME_REGRESSED:
      return 'REGRESSED';
    case VerdictOutcome.VERDICT_OUTCOME_INCONCLUSIVE:
      return 'INCONCLUSIVE';
    case VerdictOutcome.VERDICT_OUTCOME_PENDING:
      return 'PENDING';
    case VerdictOutcome.VERDICT_OUTCOME_ERROR:
    case VerdictOutcome.VERDICT_OUTCOME_UNSPECIFIED:
    case VerdictOutcome.UNRECOGNIZED:
      return 'ERROR';
  }
  return 'ERROR';
}

export function metricVerdictWord(verdict: MetricVerdict): string {
  switch (verdict) {
    case MetricVerdict.METRIC_VERDICT_SAME:
      return 'SAME';
    case MetricVerdict.METRIC_VERDICT_REGRESSED:
      return 'REGRESSED';
    case MetricVerdict.METRIC_VERDICT_IMPROVED:
      return 'IMPROVED';
    case MetricVerdict.METRIC_VERDICT_UNKNOWN:
      return 'UNKNOWN';
    case MetricVerdict.METRIC_VERDICT_UNSPECIFIED:
    case MetricVerdict.UNRECOGNIZED:
      return 'UNSPECIFIED';
  }
  return 'UNSPECIFIED';
}

/** A comparison that can fail the gate: gating by policy and not muted. */
export function countsForGate(c: Comparison): boolean {
  return c.gating && !c.muted;
}

export function agentLabel(c: { agentName: string; agentId?: string }): string {
  return c.agentName || c.agentId || 'unknown agent';
}

const NA = 'n/a';

function significant(value: number, digits = 3): string {
  // toPrecision switches to exponents at 1e3 with 3 digits; Number() drops them again (1.23e+3 -> 1230).
  return String(Number(value.toPrecision(digits)));
}

/** A metric value in its unit: ms with 3 significant digits, bytes in KiB/MiB/GiB, cosine with 5 decimals. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) {
    return NA;
  }
  switch (unit) {
    case 'ms':
      return Math.abs(value) >= 1000 ? `${significant(value / 1000)} s` : `${significant(value)} ms`;
    case 'bytes':
      return formatBytes(value);
    case 'cosine':
      return value.toFixed(5);
    default:
      return unit ? `${significant(value)} ${unit}` : significant(value);
  }
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) {
    return NA;
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(value)} B` : `${significant(value)} ${units[i]}`;
}

/** A relative change (0.123) as a signed percent: +12.3 %. */
export function formatPercent(relative: number): string {
  if (!Number.isFinite(relative)) {
    return NA;
  }
  const percent = relative * 100;
  const digits = Math.abs(percent) < 0.1 && percent !== 0 ? 2 : 1;
  const text = Math.abs(percent).toFixed(digits);
  if (Number(text) === 0) {
    return `0.0 %`;
  }
  return `${percent < 0 ? '-' : '+'}${text} %`;
}

/** A threshold (0.02) as an unsigned percent: 2.0 %. */
export function formatThreshold(relative: number): string {
  return Number.isFinite(relative) ? `${(relative * 100).toFixed(Math.abs(relative) < 0.001 ? 2 : 1)} %` : NA;
}

export function formatCi(low: number, high: number): string {
  return Number.isFinite(low) && Number.isFinite(high)
    ? `[${formatPercent(low)}, ${formatPercent(high)}]`
    : NA;
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) {
    return NA;
  }
  return p < 0.001 ? '< 0.001' : significant(p, 2);
}

/** One line for logs and failure messages: `latency +12.3 % (95 % CI [+8.1 %, +15.0 %], p < 0.001, threshold 2.0 %)`. */
export function describeChange(c: Comparison): string {
  const parts = [
    `95 % CI ${formatCi(c.ci95Low, c.ci95High)}`,
    `p ${formatP(c.pValue)}`,
    `threshold ${formatThreshold(c.threshold)}`,
  ];
  return `${c.metric} ${formatPercent(c.relativeChange)}: ${formatValue(c.base, c.unit)} -> ${formatValue(c.head, c.unit)} (${parts.join(', ')})`;
}

/** Every number of a comparison, one per line (JUnit failure bodies and system-out). */
export function comparisonDetails(c: Comparison): string {
  return [
    `verdict: ${metricVerdictWord(c.verdict)}${c.gating ? '' : ' (advice only: policy gate false)'}${c.muted ? ' (muted series)' : ''}`,
    `base: ${formatValue(c.base, c.unit)}`,
    `head: ${formatValue(c.head, c.unit)}`,
    `change: ${formatPercent(c.relativeChange)}`,
    `95 % CI: ${formatCi(c.ci95Low, c.ci95High)}`,
    `p: ${formatP(c.pValue)}`,
    `threshold: ${formatThreshold(c.threshold)}`,
    `rounds: ${c.rounds}`,
    `noise source: ${c.noiseSource || NA}`,
    `bimodal: ${c.bimodal ? 'yes' : 'no'}`,
    `fingerprint: ${c.fingerprint || NA}`,
    `reason: ${c.reason || NA}`,
  ].join('\n');
}
