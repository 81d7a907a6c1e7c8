import assert from 'node:assert/strict';
import { RegressionStatus } from '#contracts';
import {
  type NewRegression,
  RegressionRepository,
  toRegression,
} from '../../apps/coordinator/store/regression.repository.js';
import { forEachDialect } from '../support/store-dialects.js';

const regression = (id: string, fields: Partial<NewRegression> = {}): NewRegression => ({
  id,
  suite: 'nightly',
  model: 'det.onnx',
  variant: 'original',
  metric: 'median_ms',
  fingerprint: 'fp1',
  source: 'nightly',
  runId: 'run_1',
  before: 10.123456789,
  after: 12.987654321,
  relativeChange: 0.2829268292682927,
  pValue: 0.0012345678,
  runsBefore: ['run_0'],
  runsAfter: ['run_1', 'run_2'],
  // As the services build it: fields joined by U+0000, which PostgreSQL text cannot hold as such.
  dedupeKey: ['nightly', 'nightly', 'det.onnx', id].join('\u0000'),
  ...fields,
});

await forEachDialect('regressions: deduplicated, with exact numbers, newest first', async (db) => {
  const regressions = new RegressionRepository(db);
  assert.equal(await regressions.insert(regression('reg_b'), 1_000), true);
  assert.equal(
    await regressions.insert({ ...regression('reg_other'), dedupeKey: regression('reg_b').dedupeKey }, 1_500),
    false,
  );
  assert.equal(
    await regressions.insert(
      regression('reg_a', {
        source: 'gate',
        before: 0,
        relativeChange: Number.POSITIVE_INFINITY,
        pValue: Number.NaN,
      }),
      1_000,
    ),
    true,
  );
  assert.equal(await regressions.insert(regression('reg_c', { suite: 'other' }), 500), true);
  assert.equal(
    await regressions.insert(regression('reg_d', { suite: 'other', dedupeKey: 'a\u0000b' }), 400),
    true,
  );
  assert.equal(
    await regressions.insert(regression('reg_e', { suite: 'other', dedupeKey: 'a\ufffdc' }), 300),
    true,
  );

  const b = await regressions.find('reg_b');
  assert.deepEqual(toRegression(b!), {
    id: 'reg_b',
    suite: 'nightly',
    model: 'det.onnx',
    variant: 'original',
    metric: 'median_ms',
    fingerprint: 'fp1',
    source: 'nightly',
    runId: 'run_1',
    before: 10.123456789,
    after: 12.987654321,
    relativeChange: 0.2829268292682927,
    pValue: 0.0012345678,
    detectedAtMs: '1000',
    status: RegressionStatus.REGRESSION_STATUS_OPEN,
    note: '',
    runsBefore: ['run_0'],
    runsAfter: ['run_1', 'run_2'],
  });
  const a = await regressions.find('reg_a');
  assert.deepEqual([a?.relative_change, a?.p_value, a?.before], [Number.POSITIVE_INFINITY, 1, 0]);
  assert.equal(typeof a?.detected_at, 'number');

  // Newest first; equal times by id, descending.
  assert.deepEqual(
    (await regressions.list({ limit: 10 })).map((r) => r.id),
    ['reg_b', 'reg_a', 'reg_c', 'reg_d', 'reg_e'],
  );
  assert.deepEqual(
    (await regressions.list({ suite: 'nightly', statuses: ['open'], limit: 1 })).map((r) => r.id),
    ['reg_b'],
  );

  await regressions.setStatus('reg_b', 'muted', 'flaky box');
  await regressions.setStatus('reg_c', 'acknowledged', '');
  assert.deepEqual(
    (await regressions.list({ statuses: ['open'], limit: 10 })).map((r) => r.id),
    ['reg_a', 'reg_d', 'reg_e'],
  );
  assert.deepEqual(
    (await regressions.list({ statuses: ['muted', 'acknowledged'], limit: 10 })).map((r) => [
      r.id,
      r.status,
      r.note,
    ]),
    [
      ['reg_b', 'muted', 'flaky box'],
      ['reg_c', 'acknowledged', ''],
    ],
  );
  assert.deepEqual(await regressions.list({ statuses: [], limit: 10 }), []);

  const key = {
    suite: 'nightly',
    model: 'det.onnx',
    variant: 'original',
    metric: 'median_ms',
    fingerprint: 'fp1',
  };
  assert.equal(await regressions.isMuted(key), true);
  assert.equal(await regressions.isMuted({ ...key, fingerprint: 'fp2' }), false);
  // reg_a is a gate regression, reg_b muted: no open nightly one is left on nightly/fp1.
  assert.equal(await regressions.openNightlyCount('nightly', 'fp1'), 0);
  assert.equal(await regressions.openNightlyCount('other', 'fp1'), 2);
});

await forEachDialect('a moved regression keeps its id, status, note and first detection', async (db) => {
  const regressions = new RegressionRepository(db);
  await regressions.insert(regression('reg_m', { runId: 'run_6' }), 1_000);
  await regressions.setStatus('reg_m', 'acknowledged', 'looking');
  const moved = regression('ignored', {
    runId: 'run_10',
    relativeChange: 2.41,
    runsBefore: ['run_9'],
    runsAfter: ['run_10'],
    dedupeKey: ['nightly', 'moved', 'run_10'].join('\u0000'),
  });
  await regressions.move('reg_m', moved);
  const row = await regressions.find('reg_m');
  assert.equal(row?.run_id, 'run_10');
  assert.equal(row?.relative_change, 2.41);
  assert.deepEqual(JSON.parse(row?.runs_after_json ?? '[]'), ['run_10']);
  assert.equal(row?.status, 'acknowledged');
  assert.equal(row?.note, 'looking');
  assert.equal(row?.detected_at, 1_000);
  // Its new place is its dedupe key: the same change point found there again is not a second one.
  assert.equal(await regressions.insert({ ...moved, id: 'reg_again' }, 2_000), false);
});
