import assert from 'node:assert/strict';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { TaskStatsRepository } from '../../apps/coordinator/metrics/task-stats.repository.js';
import { FarmHealthSourceService } from '../../apps/coordinator/metrics/farm-health.source.js';
import { AgentRegistry } from '../../apps/coordinator/agents/agent-registry.service.js';
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

await forEachDialect(
  "a scrape's two task gauges share one count; the next scrape counts again",
  async (db) => {
    const health = new FarmHealthSourceService(new AgentRegistry(), new TaskStatsRepository(db));
    await seedRun(db, 'run_1', ['t1']);
    const first = await health.taskCounts();
    assert.deepEqual(first, { queued: 1 });
    await seedRun(db, 'run_2', ['t2', 't3']);
    assert.equal(await health.taskCounts(), first, 'within the same second: the same read');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.deepEqual(await health.taskCounts(), { queued: 3 });
  },
);
