import { type Comparison, type OpAdvice, type Verdict } from '#contracts';
import { exitCodeOf } from './exit-code.util.js';
import { metricVerdictWord, outcomeWord } from './verdict-format.util.js';

export const VERDICT_JSON_SCHEMA = 'mlfarm.verdict/v1';

/**
 * The verdict as stable JSON for `mlfarm ci --json`: fixed key order, enum names as short strings
 * (outcome "PASS", verdict "REGRESSED"), NaN and infinities as null, int64 milliseconds as numbers.
 */
export function toVerdictJson(verdict: Verdict): unknown {
  const decidedAtMs = Number(verdict.decidedAtMs);
  return {
    schema: VERDICT_JSON_SCHEMA,
    runId: verdict.runId,
    suite: verdict.suite,
    baseline: verdict.baseline,
    outcome: outcomeWord(verdict.outcome),
    exitCode: exitCodeOf(verdict.outcome),
    rounds: verdict.rounds,
    decidedAtMs: decidedAtMs > 0 ? decidedAtMs : null,
    decidedAt: decidedAtMs > 0 ? new Date(decidedAtMs).toISOString() : null,
    summary: verdict.summary,
    comparisons: verdict.comparisons.map(comparisonJson),
    advice: verdict.advice.map(adviceJson),
    errors: [...verdict.errors],
  };
}

function comparisonJson(c: Comparison): unknown {
  return {
    model: c.model,
    variant: c.variant,
    agentId: c.agentId,
    agentName: c.agentName,
    fingerprint: c.fingerprint,
    metric: c.metric,
    verdict: metricVerdictWord(c.verdict),
    gating: c.gating,
    muted: c.muted,
    base: num(c.base),
    head: num(c.head),
    unit: c.unit,
    relativeChange: num(c.relativeChange),
    ci95Low: num(c.ci95Low),
    ci95High: num(c.ci95High),
    pValue: num(c.pValue),
    threshold: num(c.threshold),
    rounds: c.rounds,
    bimodal: c.bimodal,
    noiseSource: c.noiseSource,
    reason: c.reason,
  };
}

function adviceJson(a: OpAdvice): unknown {
  return {
    model: a.model,
    variant: a.variant,
    agentName: a.agentName,
    opType: a.opType,
    baseMs: num(a.baseMs),
    headMs: num(a.headMs),
    relativeChange: num(a.relativeChange),
  };
}

function num(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
