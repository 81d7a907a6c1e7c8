import assert from 'node:assert/strict';
import type { BaselineEntry } from '#contracts';
import { BaselineRepository } from '../../apps/coordinator/store/baseline.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { seedArtifact, seedRun } from './store-fixtures.js';

const entry = (model: string, sha256: string, fields: Partial<BaselineEntry> = {}): BaselineEntry => ({
  suite: 'suite',
  name: 'main',
  fingerprint: 'fp1',
  model,
  modelSha256: sha256,
  runId: 'run_1',
  acceptedAtMs: '0',
  ...fields,
});

await forEachDialect('baselines: accepting again replaces the entry; listed in byte order', async (db) => {
  const baselines = new BaselineRepository(db);
  const model = await seedRun(db, 'run_1', ['t1']);
  await seedRun(db, 'run_2', ['t2']);
  const newer = await seedArtifact(db, 'newer');
  await baselines.accept(
    [
      entry('rec.onnx', model),
      entry('Det.onnx', model),
      entry('det.onnx', model, { name: 'Release' }),
      entry('det.onnx', model, { suite: 'Alpha' }),
    ],
    1_000,
  );
  await baselines.accept([entry('rec.onnx', newer, { runId: 'run_2' })], 2_000);
  assert.deepEqual(await baselines.find('suite', 'main', 'fp1'), [
    { ...entry('Det.onnx', model), acceptedAtMs: '1000' },
    { ...entry('rec.onnx', newer, { runId: 'run_2' }), acceptedAtMs: '2000' },
  ]);
  assert.deepEqual(await baselines.find('suite', 'main', 'fp-other'), []);
  assert.deepEqual(
    (await baselines.list('')).map((e) => `${e.suite}/${e.name}/${e.model}`),
    ['Alpha/main/det.onnx', 'suite/Release/det.onnx', 'suite/main/Det.onnx', 'suite/main/rec.onnx'],
  );
  assert.equal((await baselines.list('suite')).length, 3);
  await assert.rejects(
    baselines.accept([entry('x', model, { runId: 'run_missing' })], 3),
    'the run must exist',
  );
  assert.equal((await baselines.list('')).length, 4, 'a failed accept stores nothing');
});
