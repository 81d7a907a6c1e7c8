import assert from 'node:assert/strict';
import type { Variant } from '#contracts';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { VariantRepository } from '../../apps/coordinator/store/variant.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { REQUEST, newTask, seedArtifact } from './store-fixtures.js';

const variant = (name: string, source: string, built: string): Variant => ({
  name,
  sourceSha256: source,
  recipeHash: `hash-${name}`,
  variantSha256: built,
  totals: {
    sizeBytes: '5000000000',
    gzipSizeBytes: '1',
    originalSizeBytes: '2',
    originalGzipSizeBytes: '3',
    ratio: 0.2512345678901,
    gzipRatio: 1 / 3,
  },
  tensors: [],
});

await forEachDialect(
  'variants: the first build wins; a run lists its variants once each, by name',
  async (db) => {
    const variants = new VariantRepository(db);
    const runs = new RunRepository(db);
    const source = await seedArtifact(db, 'source');
    const [int8, fp16, other] = await Promise.all(['int8', 'fp16', 'other'].map((s) => seedArtifact(db, s)));
    await variants.insertIfAbsent(variant('int8', source, int8!), '{"recipe":"int8"}', 1);
    await variants.insertIfAbsent({ ...variant('int8', source, other!), name: 'loser' }, '{}', 2);
    await variants.insertIfAbsent(variant('Q4', source, fp16!), '{}', 3);
    assert.deepEqual(await variants.find(source, 'hash-int8'), variant('int8', source, int8!));
    assert.equal(await variants.find(source, 'hash-none'), undefined);

    await runs.createRun(
      'run_1',
      'r',
      REQUEST,
      [
        newTask('t1', source, { variant: 'int8', variantSha256: int8! }),
        newTask('t2', source, { variant: 'int8', variantSha256: int8!, ep: 'other' }),
        newTask('t3', source, { variant: 'Q4', variantSha256: fp16! }),
        newTask('t4', source),
      ],
      1,
    );
    // Byte order: 'Q4' before 'int8' (a linguistic collation puts 'int8' first).
    assert.deepEqual(
      (await variants.listForRun('run_1')).map((v) => v.name),
      ['Q4', 'int8'],
    );
    assert.deepEqual(await variants.listForRun('run_none'), []);
  },
);
