import assert from 'node:assert/strict';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { TaskStatsRepository } from '../../apps/coordinator/metrics/task-stats.repository.js';
import { forEachDialect } from '../support/store-dialects.js';
import { seedRun, leaseTask } from './store-fixtures.js';

await forEachDialect('task counts by state are numbers', async (db) => {
  const stats = new TaskStatsRepository(db);
  assert.deepEqual(await stats.countByState(), {});
  await seedRun(db, 'run_1', ['t1', 't2', 't3', 't4']);
  await leaseTask(db, 't1', 'agent', 10);
  await new DispatchRepository(db).finishTask('t2', 'failed', 5, 'x');
  assert.deepEqual(await stats.countByState(), { queued: 2, leased: 1, failed: 1 });
});
