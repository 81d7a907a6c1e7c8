import { type Comparison, MetricVerdict, type OpAdvice, type Verdict, VerdictOutcome } from '#contracts';

export function comparison(overrides: Partial<Comparison> = {}): Comparison {
  return {
    model: 'det',
    variant: 'original',
    agentId: 'a-1',
    agentName: 'agent-1',
    fingerprint: '0123456789ab',
    metric: 'latency',
    verdict: MetricVerdict.METRIC_VERDICT_SAME,
    base: 12.345,
    head: 12.4,
    unit: 'ms',
    relativeChange: 0.0045,
    ci95Low: -0.004,
    ci95High: 0.012,
    pValue: 0.41,
    threshold: 0.02,
    rounds: 6,
    bimodal: false,
    gating: true,
    muted: false,
    reason: 'no significant change',
    noiseSource: 'history',
    ...overrides,
  };
}

function verdict(overrides: Partial<Verdict>): Verdict {
  return {
    runId: 'run-1',
    suite: 'ocr-det',
    baseline: 'main',
    outcome: VerdictOutcome.VERDICT_OUTCOME_PASS,
    rounds: 6,
    decidedAtMs: '1767225600000',
    comparisons: [],
    advice: [],
    errors: [],
    summary: '',
    ...overrides,
  };
}

/** Every gating metric the same; one advice-only metric that regressed (load time, gate false). */
export function passVerdict(): Verdict {
  return verdict({
    outcome: VerdictOutcome.VERDICT_OUTCOME_PASS,
    summary: 'PASS: 4 gating metrics unchanged',
    comparisons: [
      comparison(),
      comparison({
        metric: 'size',
        unit: 'bytes',
        base: 4_718_592,
        head: 4_718_592,
        relativeChange: 0,
        ci95Low: NaN,
        ci95High: NaN,
        pValue: NaN,
        threshold: 0.01,
        reason: 'deterministic',
      }),
      comparison({
        metric: 'peak_memory',
        unit: 'bytes',
        base: 157_286_400,
        head: 158_334_976,
        relativeChange: 0.00667,
        ci95Low: NaN,
        ci95High: NaN,
        pValue: NaN,
        threshold: 0.1,
      }),
      comparison({
        metric: 'fidelity',
        unit: 'cosine',
        base: 0.999991,
        head: 0.999992,
        relativeChange: 0.000001,
        ci95Low: NaN,
        ci95High: NaN,
        pValue: NaN,
        threshold: 0.001,
      }),
      comparison({
        metric: 'load_time',
        base: 80,
        head: 120,
        relativeChange: 0.5,
        ci95Low: 0.3,
        ci95High: 0.7,
        pValue: 0.0004,
        threshold: 0.1,
        gating: false,
        verdict: MetricVerdict.METRIC_VERDICT_REGRESSED,
        reason: 'slower load',
      }),
    ],
  });
}

/** Latency of the palettized variant regressed with a CI excluding zero; a muted series regressed too. */
export function regressedVerdict(): Verdict {
  const advice: OpAdvice[] = [
    {
      model: 'det',
      variant: 'pal4',
      agentName: 'agent-1',
      opType: 'Conv',
      baseMs: 7.1,
      headMs: 8.4,
      relativeChange: 0.183,
    },
    {
      model: 'det',
      variant: 'pal4',
      agentName: 'agent-1',
      opType: 'Resize',
      baseMs: 0.5,
      headMs: 0.49,
      relativeChange: -0.02,
    },
    ...Array.from({ length: 12 }, (_, i) => ({
      model: 'det',
      variant: 'pal4',
      agentName: 'agent-1',
      opType: `Op${i}`,
      baseMs: 0.1,
      headMs: 0.1 + i * 0.001,
      relativeChange: i * 0.01,
    })),
  ];
  return verdict({
    outcome: VerdictOutcome.VERDICT_OUTCOME_REGRESSED,
    rounds: 10,
    summary: 'REGRESSED: det/pal4 latency +12.3 % on agent-1',
    comparisons: [
      comparison(),
      comparison({
        variant: 'pal4',
        base: 12.3,
        head: 13.8129,
        relativeChange: 0.123,
        ci95Low: 0.081,
        ci95High: 0.15,
        pValue: 0.00012,
        rounds: 10,
        verdict: MetricVerdict.METRIC_VERDICT_REGRESSED,
        reason: 'median slower beyond max(2 %, 2 x noise)',
      }),
      comparison({
        variant: 'pal4',
        metric: 'size',
        unit: 'bytes',
        base: 1_234_567,
        head: 1_300_000,
        relativeChange: 0.053,
        ci95Low: NaN,
        ci95High: NaN,
        pValue: NaN,
        threshold: 0.01,
        muted: true,
        verdict: MetricVerdict.METRIC_VERDICT_REGRESSED,
        reason: 'muted by alice',
      }),
      comparison({
        agentId: 'a-2',
        agentName: 'agent-2',
        fingerprint: 'ba9876543210',
        variant: 'pal4',
        base: 12.3,
        head: 11.685,
        relativeChange: -0.05,
        ci95Low: -0.08,
        ci95High: -0.03,
        pValue: 0.002,
        verdict: MetricVerdict.METRIC_VERDICT_IMPROVED,
      }),
    ],
    advice,
  });
}

/** A gating metric stayed UNKNOWN after the most rounds allowed. */
export function inconclusiveVerdict(): Verdict {
  return verdict({
    outcome: VerdictOutcome.VERDICT_OUTCOME_INCONCLUSIVE,
    rounds: 20,
    summary: 'INCONCLUSIVE: det latency undecided after 20 rounds',
    comparisons: [
      comparison({
        rounds: 20,
        relativeChange: 0.025,
        ci95Low: -0.01,
        ci95High: 0.06,
        pValue: 0.04,
        verdict: MetricVerdict.METRIC_VERDICT_UNKNOWN,
        bimodal: true,
        reason: 'bimodal samples; CI straddles the threshold',
      }),
      comparison({
        metric: 'size',
        unit: 'bytes',
        base: 4096,
        head: 4096,
        relativeChange: 0,
        ci95Low: NaN,
        ci95High: NaN,
        pValue: NaN,
      }),
    ],
  });
}

export function errorVerdict(): Verdict {
  return verdict({
    outcome: VerdictOutcome.VERDICT_OUTCOME_ERROR,
    rounds: 0,
    decidedAtMs: '0',
    summary: 'ERROR: 2 tasks failed',
    errors: [
      'task t-1 on agent-1 failed: out of memory\n  at session.run',
      'no baseline "main" for fingerprint 0123456789ab',
    ],
  });
}

/** Names a hostile client could choose: markup, quotes and control characters. */
export const HOSTILE = `<b>"x" & 'y'</b>|\u0001\u001b[31m\n]]>`;

export function hostileVerdict(): Verdict {
  const v = regressedVerdict();
  v.suite = `s${HOSTILE}`;
  v.baseline = HOSTILE;
  v.comparisons = v.comparisons.map((c) => ({
    ...c,
    model: `m${HOSTILE}`,
    agentName: HOSTILE,
    reason: HOSTILE,
  }));
  v.advice = v.advice.map((a) => ({ ...a, opType: HOSTILE }));
  v.errors = [HOSTILE];
  return v;
}
