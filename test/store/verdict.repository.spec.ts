import assert from 'node:assert/strict';
import { type Verdict, VerdictOutcome } from '#contracts';
import { VerdictRepository } from '../../apps/coordinator/store/verdict.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { seedRun } from './store-fixtures.js';

const verdict = (outcome: VerdictOutcome, extra: Partial<Verdict> = {}): Verdict =>
  ({
    runId: 'run_1',
    suite: 'suite',
    baseline: 'main',
    outcome,
    rounds: 2,
    decidedAtMs: '1700000000000',
    comparisons: [{ relativeChange: Number.NaN, pValue: Number.POSITIVE_INFINITY, before: -Infinity }],
    advice: [],
    errors: ['a \u0000 b'],
    summary: 'ünïcödé ✓',
    ...extra,
  }) as unknown as Verdict;

await forEachDialect('verdicts: the latest one per run, NaN and infinities intact', async (db) => {
  const verdicts = new VerdictRepository(db);
  await seedRun(db, 'run_1', ['t1']);
  assert.equal(await verdicts.find('run_1'), undefined);
  await verdicts.save(verdict(VerdictOutcome.VERDICT_OUTCOME_PENDING), 1);
  await verdicts.save(verdict(VerdictOutcome.VERDICT_OUTCOME_REGRESSED, { rounds: 3 }), 2);
  assert.deepEqual(
    await verdicts.find('run_1'),
    verdict(VerdictOutcome.VERDICT_OUTCOME_REGRESSED, { rounds: 3 }),
  );
  const row = await db.selectFrom('verdicts').selectAll().executeTakeFirstOrThrow();
  assert.deepEqual([row.outcome, row.updated_at], ['VERDICT_OUTCOME_REGRESSED', 2]);
  await assert.rejects(
    verdicts.save({ ...verdict(VerdictOutcome.VERDICT_OUTCOME_PASS), runId: 'run_missing' }, 3),
  );
});
