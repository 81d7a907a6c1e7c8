import {
  type Comparison,
  MetricVerdict,
  type OpAdvice,
  type TaskResult,
  type Verdict,
  VerdictOutcome,
} from '#contracts';
import type { MetricPolicies, StatisticalPolicy } from '#suites';
import { type LatencyVerdict, compareThreshold, gateStep, median } from '#verdicts';
import type { TaskTable } from '../store/database.types.js';
import { opAdvice } from './gate-advice.js';
import type { CellRounds, GateContext, Round } from './gate.types.js';
import { addFidelity } from './gate-fidelity.js';
import { taskCellKey } from './gate-plan.js';

const VERDICTS: Record<LatencyVerdict, MetricVerdict> = {
  SAME: MetricVerdict.METRIC_VERDICT_SAME,
  REGRESSED: MetricVerdict.METRIC_VERDICT_REGRESSED,
  IMPROVED: MetricVerdict.METRIC_VERDICT_IMPROVED,
  UNKNOWN: MetricVerdict.METRIC_VERDICT_UNKNOWN,
};

export interface GateEvaluation {
  verdict: Verdict;
  /** Cell key -> rounds to add per side; empty when the verdict is final. */
  roundsToAdd: Map<string, number>;
}

export const mutedKey = (model: string, variant: string, metric: string, fingerprint: string): string =>
  [model, variant, metric, fingerprint].join('\u0000');

const STATISTICAL: { metric: string; policy: keyof MetricPolicies; value: (r: TaskResult) => number }[] = [
  { metric: 'latency', policy: 'latency', value: (r) => r.measurement?.latency?.median ?? Number.NaN },
  { metric: 'load_time', policy: 'loadTime', value: (r) => r.measurement?.loadMs ?? Number.NaN },
  { metric: 'first_run', policy: 'firstRun', value: (r) => r.measurement?.firstRunMs ?? Number.NaN },
];

/**
 * Turns a gate's tasks and results into a verdict: statistical metrics over paired rounds (a round
 * counts once both its base and head succeeded), deterministic ones by fixed thresholds, per-op changes
 * as advice. Pure: the caller loads the data and stores the outcome.
 */
export function evaluateGate(
  tasks: TaskTable[],
  results: Map<string, TaskResult>,
  ctx: GateContext,
): GateEvaluation {
  const errors = tasks
    .filter((t) => t.state === 'failed' || t.state === 'cancelled')
    .map(
      (t) =>
        `${t.model_name} [${t.variant}] ${t.side} round ${t.round} on ${ctx.agentNames.get(t.agent_id ?? '') ?? t.agent_id}: ${t.error ?? t.state}`,
    );
  const cells = groupCells(tasks, results);
  const comparisons: Comparison[] = [];
  const advice: OpAdvice[] = [];
  const roundsToAdd = new Map<string, number>();
  let rounds = 0;
  for (const cell of cells.values()) {
    const paired = [...cell.rounds.entries()]
      .filter(([, r]) => r.base && r.head)
      .sort(([a], [b]) => a - b)
      .map(([, r]) => r as Required<Round>);
    rounds = Math.max(rounds, paired.length);
    const t = cell.sample;
    const agentId = t.agent_id ?? '';
    const fingerprint = ctx.fingerprints.get(agentId) ?? '';
    const base = {
      model: t.model_name,
      variant: t.variant,
      agentId,
      agentName: ctx.agentNames.get(agentId) ?? agentId,
      fingerprint,
    };
    const isMuted = (metric: string): boolean =>
      ctx.muted.has(mutedKey(t.model_name, t.variant, metric, fingerprint));
    if (paired.length === 0) {
      continue;
    }
    for (const s of STATISTICAL) {
      const policy = ctx.policies[s.policy] as StatisticalPolicy;
      const b = paired.map((r) => s.value(r.base));
      const h = paired.map((r) => s.value(r.head));
      const step = gateStep(b, h, ctx.historicalNoise.get(`${cell.key}\u0000${s.metric}`), {
        alpha: policy.alpha,
        minEffect: policy.minEffect,
        noiseMultiplier: policy.noiseMultiplier,
        minRounds: ctx.gate.minRounds,
        maxRounds: ctx.gate.maxRounds,
        roundStep: ctx.gate.roundStep,
      });
      if (!step.final && policy.gate) {
        roundsToAdd.set(cell.key, Math.max(roundsToAdd.get(cell.key) ?? 0, step.roundsToAdd));
      }
      const c = step.comparison;
      comparisons.push({
        ...base,
        metric: s.metric,
        verdict: VERDICTS[c.verdict],
        base: median(b),
        head: median(h),
        unit: 'ms',
        relativeChange: Number.isFinite(c.relativeChange)
          ? c.relativeChange
          : (median(h) - median(b)) / median(b),
        ci95Low: c.ci95[0],
        ci95High: c.ci95[1],
        pValue: c.pValue,
        threshold: c.threshold,
        rounds: paired.length,
        bimodal: c.bimodal,
        gating: policy.gate,
        muted: isMuted(s.metric),
        reason: c.reason,
        noiseSource: step.noiseSource,
      });
    }
    const deterministic = (
      metric: string,
      unit: string,
      b: number,
      h: number,
      gating: boolean,
      options: Parameters<typeof compareThreshold>[2],
      note = '',
    ): void => {
      const c = compareThreshold(b, h, options);
      comparisons.push({
        ...base,
        metric,
        verdict: VERDICTS[c.verdict],
        base: b,
        head: h,
        unit,
        relativeChange: c.relativeChange,
        ci95Low: Number.NaN,
        ci95High: Number.NaN,
        pValue: Number.NaN,
        threshold: c.threshold,
        rounds: paired.length,
        bimodal: false,
        gating,
        muted: isMuted(metric),
        reason: note ? `${c.reason} (${note})` : c.reason,
        noiseSource: 'none',
      });
    };
    const rss = (r: TaskResult): number => Number(r.measurement?.peakRssBytes ?? 0);
    deterministic(
      'peak_memory',
      'bytes',
      median(paired.map((r) => rss(r.base))),
      median(paired.map((r) => rss(r.head))),
      ctx.policies.peakMemory.gate,
      {
        maxIncrease: ctx.policies.peakMemory.maxIncrease,
        maxDecrease: ctx.policies.peakMemory.maxIncrease,
        higherIsWorse: true,
      },
      "median of the rounds' peak RSS",
    );
    deterministic(
      'size',
      'bytes',
      ctx.sizes.get(cell.baseArtifact) ?? 0,
      ctx.sizes.get(cell.headArtifact) ?? 0,
      ctx.policies.size.gate,
      {
        maxIncrease: ctx.policies.size.maxIncrease,
        maxDecrease: ctx.policies.size.maxIncrease,
        higherIsWorse: true,
      },
    );
    addFidelity(cell, comparisons, base, ctx, isMuted('fidelity'), paired.length);
    advice.push(...opAdvice(paired, base));
  }
  const decided = roundsToAdd.size === 0 || errors.length > 0;
  const outcome = outcomeOf(comparisons, errors, decided);
  const verdict: Verdict = {
    runId: ctx.runId,
    suite: ctx.suite,
    baseline: ctx.baseline,
    outcome,
    rounds,
    decidedAtMs: decided ? String(ctx.now) : '0',
    comparisons,
    advice: advice.sort((a, b) => Math.abs(b.relativeChange) - Math.abs(a.relativeChange)).slice(0, 20),
    errors,
    summary: '',
  };
  verdict.summary = summarize(verdict);
  return { verdict, roundsToAdd: decided ? new Map<string, number>() : roundsToAdd };
}

function groupCells(tasks: TaskTable[], results: Map<string, TaskResult>): Map<string, CellRounds> {
  const cells = new Map<string, CellRounds>();
  for (const t of tasks) {
    const key = taskCellKey(t);
    let cell = cells.get(key);
    if (!cell) {
      cell = { key, sample: t, rounds: new Map(), baseArtifact: '', headArtifact: '' };
      cells.set(key, cell);
    }
    const artifact = t.variant_sha256 ?? t.model_sha256;
    if (t.side === 'base') {
      cell.baseArtifact = artifact;
    } else {
      cell.headArtifact = artifact;
    }
    const result = results.get(t.id);
    if (t.state !== 'succeeded' || !result || (t.side !== 'base' && t.side !== 'head')) {
      continue;
    }
    const round = cell.rounds.get(t.round ?? 0) ?? {};
    round[t.side] = result;
    cell.rounds.set(t.round ?? 0, round);
  }
  return cells;
}

function outcomeOf(comparisons: Comparison[], errors: string[], decided: boolean): VerdictOutcome {
  if (errors.length > 0) {
    return VerdictOutcome.VERDICT_OUTCOME_ERROR;
  }
  if (!decided) {
    return VerdictOutcome.VERDICT_OUTCOME_PENDING;
  }
  const gating = comparisons.filter((c) => c.gating && !c.muted);
  if (gating.length === 0) {
    return VerdictOutcome.VERDICT_OUTCOME_ERROR;
  }
  if (gating.some((c) => c.verdict === MetricVerdict.METRIC_VERDICT_REGRESSED)) {
    return VerdictOutcome.VERDICT_OUTCOME_REGRESSED;
  }
  if (gating.some((c) => c.verdict === MetricVerdict.METRIC_VERDICT_UNKNOWN)) {
    return VerdictOutcome.VERDICT_OUTCOME_INCONCLUSIVE;
  }
  return VerdictOutcome.VERDICT_OUTCOME_PASS;
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

function summarize(v: Verdict): string {
  const word = VerdictOutcome[v.outcome].replace('VERDICT_OUTCOME_', '');
  if (v.outcome === VerdictOutcome.VERDICT_OUTCOME_ERROR) {
    return `${word}: ${v.errors[0] ?? 'no comparison could be made'}`;
  }
  const bad = v.comparisons.filter(
    (c) =>
      c.gating &&
      !c.muted &&
      (c.verdict === MetricVerdict.METRIC_VERDICT_REGRESSED ||
        c.verdict === MetricVerdict.METRIC_VERDICT_UNKNOWN),
  );
  const details = bad
    .slice(0, 3)
    .map(
      (c) =>
        `${c.model}[${c.variant}] ${c.metric} ${pct(c.relativeChange)} on ${c.agentName} (${MetricVerdict[c.verdict].replace('METRIC_VERDICT_', '')})`,
    )
    .join('; ');
  return `${word} after ${v.rounds} round(s) per side against baseline '${v.baseline}'${details ? `: ${details}` : ''}`;
}
