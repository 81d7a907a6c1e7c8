import assert from 'node:assert/strict';
import { ScheduleFiringRepository } from '../../apps/coordinator/store/schedule-firing.repository.js';
import { forEachDialect } from '../support/store-dialects.js';

await forEachDialect('a schedule firing is claimed by one replica only, also when they race', async (db) => {
  const firings = new ScheduleFiringRepository(db);
  assert.equal(await firings.claim('nightly@1700000000000', 'replica-a', 1), true);
  assert.equal(await firings.claim('nightly@1700000000000', 'replica-b', 2), false);
  const outcomes = await Promise.all(
    ['a', 'b', 'c', 'd'].map((r) => firings.claim('nightly@1700086400000', `replica-${r}`, 3)),
  );
  assert.equal(outcomes.filter(Boolean).length, 1);
  const rows = await db.selectFrom('schedule_firings').selectAll().orderBy('key').execute();
  assert.deepEqual(
    rows.map((r) => [r.key, typeof r.fired_at]),
    [
      ['nightly@1700000000000', 'number'],
      ['nightly@1700086400000', 'number'],
    ],
  );
  assert.equal(rows[0]?.replica_id, 'replica-a');
});
