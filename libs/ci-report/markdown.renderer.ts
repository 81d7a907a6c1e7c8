import { type Comparison, type OpAdvice, type Verdict } from '#contracts';
import {
  agentLabel,
  countsForGate,
  formatCi,
  formatP,
  formatPercent,
  formatThreshold,
  formatValue,
  metricVerdictWord,
  outcomeWord,
} from './verdict-format.util.js';

/** Per-operator changes listed in a PR comment; the JSON output keeps them all. */
export const MAX_ADVICE_ROWS = 10;

const COMPARISON_HEADER = [
  'Model',
  'Variant',
  'Agent',
  'Metric',
  'Base',
  'Head',
  'Change',
  '95 % CI',
  'p',
  'Verdict',
];
const COMPARISON_ALIGN = ['---', '---', '---', '---', '---:', '---:', '---:', '---', '---:', '---'];

/**
 * A PR-comment-ready summary of a gate verdict: a status headline, the gating comparisons, advice-only
 * comparisons, the largest per-operator changes and any errors. Plain words, no emoji.
 */
export function renderMarkdown(verdict: Verdict): string {
  const status = outcomeWord(verdict.outcome);
  const gating = verdict.comparisons.filter(countsForGate);
  const advice = verdict.comparisons.filter((c) => !countsForGate(c));
  const regressed = gating.filter((c) => metricVerdictWord(c.verdict) === 'REGRESSED').length;
  const unknown = gating.filter((c) => metricVerdictWord(c.verdict) === 'UNKNOWN').length;
  const out: string[] = [
    `## mlfarm gate: ${status}`,
    '',
    `**Suite** ${inline(verdict.suite || 'unnamed')}, **baseline** ${inline(verdict.baseline || 'none')}, ` +
      `**rounds** ${verdict.rounds} per side, **run** ${inline(verdict.runId || 'unknown')}`,
    '',
    `${gating.length} gating comparison${gating.length === 1 ? '' : 's'}: ${regressed} regressed, ${unknown} inconclusive.`,
  ];
  if (verdict.summary) {
    out.push('', `> ${inline(verdict.summary)}`);
  }
  out.push('', '### Gating comparisons', '');
  if (gating.length === 0) {
    out.push('No gating comparison was made.');
  } else {
    out.push(...comparisonTable(gating, false));
  }
  if (advice.length > 0) {
    out.push(
      '',
      '### Advice only',
      '',
      'Not gating (policy `gate: false`) or muted series: reported, never failing the gate.',
      '',
      ...comparisonTable(advice, true),
    );
  }
  if (verdict.advice.length > 0) {
    out.push('', ...adviceSection(verdict.advice));
  }
  if (verdict.errors.length > 0) {
    out.push('', '### Errors', '', ...verdict.errors.map((e) => `- ${inline(e)}`));
  }
  out.push('');
  return out.join('\n');
}

function comparisonTable(comparisons: Comparison[], notes: boolean): string[] {
  const rows = comparisons.map((c) => {
    let word = metricVerdictWord(c.verdict);
    if (notes) {
      word += c.muted ? ' (muted)' : ' (advice)';
    }
    return [
      inline(c.model),
      inline(c.variant),
      inline(agentLabel(c)),
      inline(c.metric),
      formatValue(c.base, c.unit),
      formatValue(c.head, c.unit),
      formatPercent(c.relativeChange),
      formatCi(c.ci95Low, c.ci95High),
      formatP(c.pValue),
      `${word}, threshold ${formatThreshold(c.threshold)}`,
    ];
  });
  return [row(COMPARISON_HEADER), row(COMPARISON_ALIGN), ...rows.map((r) => row(r))];
}

function adviceSection(advice: OpAdvice[]): string[] {
  const top = [...advice]
    .filter((a) => Number.isFinite(a.relativeChange))
    .sort((a, b) => Math.abs(b.relativeChange) - Math.abs(a.relativeChange))
    .slice(0, MAX_ADVICE_ROWS);
  const more = advice.length - top.length;
  return [
    `### Per-operator changes (largest ${top.length} of ${advice.length})`,
    '',
    'Advice for where to look, never gating.',
    '',
    row(['Model', 'Variant', 'Agent', 'Op type', 'Base', 'Head', 'Change']),
    row(['---', '---', '---', '---', '---:', '---:', '---:']),
    ...top.map((a) =>
      row([
        inline(a.model),
        inline(a.variant),
        inline(a.agentName),
        inline(a.opType),
        formatValue(a.baseMs, 'ms'),
        formatValue(a.headMs, 'ms'),
        formatPercent(a.relativeChange),
      ]),
    ),
    ...(more > 0 ? ['', `${more} more in the JSON output.`] : []),
  ];
}

/** Cells are already safe: names went through inline(), numbers come from the formatters. */
function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Text on one line (a table cell, a list item) with Markdown and HTML markup neutralized, `|` included. */
export function inline(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
      .replace(/\s*[\r\n]+\s*/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/([\\`*[\]#|~])/g, '\\$1')
      // GitHub never emphasizes intraword underscores (load_time); escape the others.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      .trim()
  );
}
