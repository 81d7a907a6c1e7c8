import assert from 'node:assert/strict';
import {
  type NewSeriesPoint,
  type SeriesKey,
  SeriesRepository,
} from '../../apps/coordinator/store/series.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { seedRun } from './store-fixtures.js';

const KEY: SeriesKey = {
  suite: 'nightly',
  model: 'det.onnx',
  variant: 'original',
  metric: 'median_ms',
  fingerprint: 'fp1',
};
const point = (taskId: string, value: number, at: number, key: Partial<SeriesKey> = {}): NewSeriesPoint => ({
  ...KEY,
  ...key,
  runId: 'run_1',
  taskId,
  value,
  at,
});

await forEachDialect(
  'series points: idempotent per (task, metric), newest N oldest first, exact values',
  async (db) => {
    const series = new SeriesRepository(db);
    await seedRun(db, 'run_1', ['t1']);
    await series.append([]);
    await series.append([
      point('t1', 0.123456789012345, 100),
      point('t2', 12.5, 300),
      point('t3', 7.25, 200),
      point('t4', 1e-9, 300), // the same time as t2: insertion order decides
    ]);
    await series.append([point('t1', 999, 400), point('t5', 3.5, 500)]); // t1 again: ignored
    const all = await series.points(KEY, 10);
    assert.deepEqual(all, [
      { runId: 'run_1', value: 0.123456789012345, at: 100 },
      { runId: 'run_1', value: 7.25, at: 200 },
      { runId: 'run_1', value: 12.5, at: 300 },
      { runId: 'run_1', value: 1e-9, at: 300 },
      { runId: 'run_1', value: 3.5, at: 500 },
    ]);
    assert.deepEqual(
      (await series.points(KEY, 2)).map((p) => p.value),
      [1e-9, 3.5],
    );
    assert.deepEqual(await series.points({ ...KEY, fingerprint: 'other' }, 10), []);
    // Many points in one append (several insert slices), all in one transaction.
    await series.append(
      Array.from({ length: 120 }, (_, i) => point(`bulk${i}`, i, 1_000 + i, { metric: 'bulk' })),
    );
    assert.equal((await series.points({ ...KEY, metric: 'bulk' }, 1_000)).length, 120);
  },
);

await forEachDialect(
  'series are listed by model, variant, metric and fingerprint in byte order',
  async (db) => {
    const series = new SeriesRepository(db);
    await seedRun(db, 'run_1', ['t']);
    await series.append([
      point('a', 1, 1, { model: 'det.onnx' }),
      point('b', 2, 2, { model: 'Rec.onnx' }),
      point('c', 3, 3, { model: 'det.onnx', fingerprint: 'fp0' }),
      point('d', 4, 4, { model: 'det.onnx', metric: 'Size' }),
      point('e', 5, 5, { model: 'det.onnx', fingerprint: 'fp0' }),
      point('f', 6, 6, { suite: 'other' }),
    ]);
    const listed = await series.list({ suite: 'nightly' }, 1);
    assert.deepEqual(
      listed.map((s) => `${s.model}/${s.metric}/${s.fingerprint}`),
      ['Rec.onnx/median_ms/fp1', 'det.onnx/Size/fp1', 'det.onnx/median_ms/fp0', 'det.onnx/median_ms/fp1'],
    );
    assert.deepEqual(listed[2], {
      ...KEY,
      fingerprint: 'fp0',
      points: [{ runId: 'run_1', atMs: '5', value: 5 }],
    });
    assert.deepEqual(
      (await series.list({ suite: 'nightly', model: 'det.onnx', metric: 'median_ms' }, 10)).map(
        (s) => s.points.length,
      ),
      [2, 1],
    );
  },
);
