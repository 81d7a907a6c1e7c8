import assert from 'node:assert/strict';
import { ArtifactRepository } from '../../apps/coordinator/store/artifact.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { sha } from './store-fixtures.js';

await forEachDialect('an artifact is recorded once; sizes and times come back as numbers', async (db) => {
  const artifacts = new ArtifactRepository(db);
  const record = {
    sha256: sha('a'),
    name: 'det.onnx',
    kind: 'model' as const,
    sizeBytes: 5_000_000_123, // beyond 32 bits
    createdAt: 1_700_000_000_000,
  };
  assert.equal(await artifacts.insertIfAbsent(record), true);
  assert.equal(await artifacts.insertIfAbsent({ ...record, name: 'again.onnx' }), false);
  assert.deepEqual(await artifacts.find(record.sha256), { ...record, facts: undefined });

  const facts = { sha256: sha('t'), sizeBytes: '12', nodeCount: 3 } as never;
  await artifacts.insertIfAbsent({ ...record, sha256: sha('t'), kind: 'tensor', sizeBytes: 0, facts });
  const tensor = await artifacts.find(sha('t'));
  assert.equal(tensor?.kind, 'tensor');
  assert.equal(tensor?.sizeBytes, 0);
  assert.deepEqual(tensor?.facts, facts);
  assert.equal(await artifacts.find(sha('missing')), undefined);
});
