import { type Comparison, MetricVerdict, type Verdict, VerdictOutcome } from '#contracts';
import {
  agentLabel,
  comparisonDetails,
  countsForGate,
  describeChange,
  metricVerdictWord,
  outcomeWord,
} from './verdict-format.util.js';

interface Case {
  classname: string;
  name: string;
  /** failure / error / skipped child, or none for a pass. */
  outcome?: { tag: 'failure' | 'error' | 'skipped'; message: string; type?: string; body?: string };
  systemOut: string;
}

interface SuiteGroup {
  name: string;
  hostname: string;
  properties: [string, string][];
  cases: Case[];
}

/**
 * JUnit XML for a gate verdict: one <testsuite> per (model, variant, agent), one <testcase> per metric.
 * Only gating, unmuted comparisons can fail or be skipped; verdict errors become <error> test cases.
 * Valid against the Jenkins xunit plugin's junit-10.xsd (see schema/).
 */
export function renderJunit(verdict: Verdict): string {
  const suite = verdict.suite || 'suite';
  const groups = new Map<string, SuiteGroup>();
  for (const c of verdict.comparisons) {
    const agent = agentLabel(c);
    const id = JSON.stringify([c.model, c.variant, c.agentId || agent]);
    let group = groups.get(id);
    if (!group) {
      group = {
        name: `${suite}.${c.model}.${c.variant} on ${agent}`,
        hostname: agent,
        properties: [
          ['suite', suite],
          ['model', c.model],
          ['variant', c.variant],
          ['agent', agent],
          ['fingerprint', c.fingerprint],
          ['baseline', verdict.baseline],
          ['run_id', verdict.runId],
        ],
        cases: [],
      };
      groups.set(id, group);
    }
    group.cases.push(comparisonCase(suite, c));
  }
  const errorCases = errorsOf(verdict).map((error, i): Case => ({
    classname: `${suite}.errors`,
    name: `error ${i + 1}`,
    outcome: { tag: 'error', type: 'error', message: firstLine(error), body: error },
    systemOut: error,
  }));
  const all: SuiteGroup[] = [...groups.values()];
  if (errorCases.length > 0) {
    all.push({
      name: `${suite}.errors`,
      hostname: '',
      properties: [
        ['suite', suite],
        ['run_id', verdict.runId],
      ],
      cases: errorCases,
    });
  }
  const total = count(all.flatMap((g) => g.cases));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({
      name: `mlfarm ci ${suite} vs ${verdict.baseline || 'baseline'}: ${outcomeWord(verdict.outcome)}`,
      tests: total.tests,
      failures: total.failures,
      errors: total.errors,
      time: '0',
    })}>`,
  ];
  all.forEach((group, id) => lines.push(...renderSuite(group, id)));
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function comparisonCase(suite: string, c: Comparison): Case {
  const agent = agentLabel(c);
  const base: Case = {
    classname: `${suite}.${c.model}.${c.variant}`,
    name: `${c.metric} on ${agent} (${c.fingerprint || 'no fingerprint'})`,
    systemOut: comparisonDetails(c),
  };
  if (!countsForGate(c)) {
    return base;
  }
  switch (c.verdict) {
    case MetricVerdict.METRIC_VERDICT_REGRESSED:
      return {
        ...base,
        outcome: {
          tag: 'failure',
          type: 'regression',
          message: `regressed: ${describeChange(c)}`,
          body: comparisonDetails(c),
        },
      };
    case MetricVerdict.METRIC_VERDICT_UNKNOWN:
      return {
        ...base,
        outcome: {
          tag: 'skipped',
          message: `inconclusive after ${c.rounds} rounds: ${describeChange(c)}${c.reason ? `; ${c.reason}` : ''}`,
        },
      };
    case MetricVerdict.METRIC_VERDICT_UNSPECIFIED:
    case MetricVerdict.UNRECOGNIZED:
      return {
        ...base,
        outcome: { tag: 'skipped', message: `no verdict (${metricVerdictWord(c.verdict)}) yet` },
      };
    case MetricVerdict.METRIC_VERDICT_SAME:
    case MetricVerdict.METRIC_VERDICT_IMPROVED:
      return base;
  }
  return base;
}

/** Undecided or failed verdicts always carry at least one error, so a CI view never shows a silent green. */
function errorsOf(verdict: Verdict): string[] {
  if (verdict.errors.length > 0) {
    return verdict.errors;
  }
  const decided = [
    VerdictOutcome.VERDICT_OUTCOME_PASS,
    VerdictOutcome.VERDICT_OUTCOME_REGRESSED,
    VerdictOutcome.VERDICT_OUTCOME_INCONCLUSIVE,
  ];
  if (decided.includes(verdict.outcome)) {
    return [];
  }
  return [verdict.summary || `verdict ${outcomeWord(verdict.outcome)} without details`];
}

function count(cases: Case[]): { tests: number; failures: number; errors: number; skipped: number } {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome?.tag === 'failure').length,
    errors: cases.filter((c) => c.outcome?.tag === 'error').length,
    skipped: cases.filter((c) => c.outcome?.tag === 'skipped').length,
  };
}

function renderSuite(group: SuiteGroup, id: number): string[] {
  const n = count(group.cases);
  const lines = [
    `  <testsuite${attrs({
      name: group.name,
      tests: n.tests,
      failures: n.failures,
      errors: n.errors,
      skipped: n.skipped,
      time: '0',
      id,
      ...(group.hostname ? { hostname: group.hostname } : {}),
    })}>`,
    '    <properties>',
    ...group.properties.map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
  ];
  for (const c of group.cases) {
    lines.push(`    <testcase${attrs({ classname: c.classname, name: c.name, time: '0' })}>`);
    if (c.outcome) {
      const { tag, message, type, body } = c.outcome;
      const open = `      <${tag}${attrs({ message, ...(type ? { type } : {}) })}`;
      lines.push(body === undefined ? `${open}/>` : `${open}>${text(body)}</${tag}>`);
    }
    lines.push(`      <system-out>${text(c.systemOut)}</system-out>`, '    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines;
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${attribute(String(value))}"`)
    .join('');
}

/** Characters XML 1.0 cannot hold even as references (C0 controls, lone surrogates, U+FFFE/U+FFFF) become \uXXXX. */
function xmlSafe(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function text(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attribute(value: string): string {
  // Tabs and line breaks in attributes would be normalized to spaces by every parser; keep them as references.
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function firstLine(value: string): string {
  const line = value.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
