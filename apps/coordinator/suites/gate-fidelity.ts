import { type Comparison, MetricVerdict } from '#contracts';
import type { GateContext, CellRounds } from './gate.types.js';

/**
 * Originals: the head's outputs against the base's (cosine >= minCosine). Compressed variants: the
 * cosine each side's variant keeps against its own original may not drop by more than maxCosineDrop.
 */
export function addFidelity(
  cell: CellRounds,
  comparisons: Comparison[],
  base: Pick<Comparison, 'model' | 'variant' | 'agentId' | 'agentName' | 'fingerprint'>,
  ctx: GateContext,
  muted: boolean,
  rounds: number,
): void {
  const policy = ctx.policies.fidelity;
  const first = cell.rounds.get(1);
  const headCosine = first?.head?.measurement?.fidelity?.cosine;
  if (headCosine === undefined) {
    return;
  }
  const original = cell.sample.variant === 'original';
  const baseCosine = original ? 1 : first?.base?.measurement?.fidelity?.cosine;
  if (baseCosine === undefined) {
    return;
  }
  let verdict: MetricVerdict;
  let reason: string;
  let threshold: number;
  if (original) {
    threshold = policy.minCosine;
    verdict =
      headCosine < policy.minCosine
        ? MetricVerdict.METRIC_VERDICT_REGRESSED
        : MetricVerdict.METRIC_VERDICT_SAME;
    reason = `outputs of head vs base: cosine ${headCosine.toFixed(6)} ${headCosine < policy.minCosine ? '<' : '>='} ${policy.minCosine}`;
  } else {
    threshold = policy.maxCosineDrop;
    const drop = baseCosine - headCosine;
    verdict =
      drop > policy.maxCosineDrop
        ? MetricVerdict.METRIC_VERDICT_REGRESSED
        : -drop > policy.maxCosineDrop
          ? MetricVerdict.METRIC_VERDICT_IMPROVED
          : MetricVerdict.METRIC_VERDICT_SAME;
    reason = `cosine vs own original: base ${baseCosine.toFixed(6)}, head ${headCosine.toFixed(6)} (drop ${drop.toFixed(6)}, allowed ${policy.maxCosineDrop})`;
  }
  comparisons.push({
    ...base,
    metric: 'fidelity',
    verdict,
    base: baseCosine,
    head: headCosine,
    unit: 'cosine',
    relativeChange: (headCosine - baseCosine) / baseCosine,
    ci95Low: Number.NaN,
    ci95High: Number.NaN,
    pValue: Number.NaN,
    threshold,
    rounds,
    bimodal: false,
    gating: policy.gate,
    muted,
    reason,
    noiseSource: 'none',
  });
}
