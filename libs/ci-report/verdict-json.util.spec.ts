import assert from 'node:assert/strict';
import test from 'node:test';
import { VerdictOutcome } from '#contracts';
import { CI_EXIT, exitCodeOf } from './exit-code.util.js';
import { toVerdictJson, VERDICT_JSON_SCHEMA } from './verdict-json.util.js';
import { errorVerdict, passVerdict, regressedVerdict } from './verdict.fixture.js';

await test('exit codes: 0 pass, 1 regression, 2 error or undecided, 3 inconclusive', () => {
  assert.equal(exitCodeOf(VerdictOutcome.VERDICT_OUTCOME_PASS), 0);
  assert.equal(exitCodeOf(VerdictOutcome.VERDICT_OUTCOME_REGRESSED), 1);
  assert.equal(exitCodeOf(VerdictOutcome.VERDICT_OUTCOME_ERROR), 2);
  assert.equal(exitCodeOf(VerdictOutcome.VERDICT_OUTCOME_INCONCLUSIVE), 3);
  assert.equal(exitCodeOf(VerdictOutcome.VERDICT_OUTCOME_PENDING), CI_EXIT.error);
  assert.equal(exitCodeOf(VerdictOutcome.VERDICT_OUTCOME_UNSPECIFIED), CI_EXIT.error);
  assert.equal(exitCodeOf(VerdictOutcome.UNRECOGNIZED), CI_EXIT.error);
  assert.equal(exitCodeOf(42 as VerdictOutcome), CI_EXIT.error);
});

await test('JSON names enums, turns NaN into null and survives a JSON round trip unchanged', () => {
  const json = toVerdictJson(regressedVerdict()) as Record<string, unknown>;
  assert.equal(json.schema, VERDICT_JSON_SCHEMA);
  assert.equal(json.outcome, 'REGRESSED');
  assert.equal(json.exitCode, 1);
  assert.equal(json.decidedAtMs, 1_767_225_600_000);
  assert.equal(json.decidedAt, '2026-01-01T00:00:00.000Z');
  const comparisons = json.comparisons as Record<string, unknown>[];
  assert.equal(comparisons[1]!.verdict, 'REGRESSED');
  assert.equal(comparisons[2]!.ci95Low, null);
  assert.equal(comparisons[2]!.pValue, null);
  assert.equal(comparisons[2]!.muted, true);
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  assert.deepEqual(Object.keys(json), [
    'schema',
    'runId',
    'suite',
    'baseline',
    'outcome',
    'exitCode',
    'rounds',
    'decidedAtMs',
    'decidedAt',
    'summary',
    'comparisons',
    'advice',
    'errors',
  ]);
  // Same verdict, same text: a stable artifact to diff between CI runs.
  assert.equal(JSON.stringify(toVerdictJson(regressedVerdict())), JSON.stringify(json));
});

await test('an undecided verdict has no decision time and keeps its errors', () => {
  const json = toVerdictJson(errorVerdict()) as Record<string, unknown>;
  assert.equal(json.outcome, 'ERROR');
  assert.equal(json.exitCode, 2);
  assert.equal(json.decidedAtMs, null);
  assert.equal((json.errors as string[]).length, 2);
  assert.equal((toVerdictJson(passVerdict()) as Record<string, unknown>).outcome, 'PASS');
});
