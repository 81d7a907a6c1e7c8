import assert from 'node:assert/strict';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import { AgentPresenceRepository } from '../../apps/coordinator/store/agent-presence.repository.js';
import { AgentRepository } from '../../apps/coordinator/store/agent.repository.js';
import type { Db } from '../../apps/coordinator/store/database.js';
import { forEachDialect } from '../support/store-dialects.js';
import { seedRun, leaseTask } from './store-fixtures.js';

async function register(db: Db, id: string, lastSeenAt: number): Promise<void> {
  await new AgentRepository(db).upsert({
    id,
    name: id,
    labels: [],
    fingerprint: {} as never,
    executionProviders: [],
    runtimes: [],
    lastSeenAt,
  });
}

await forEachDialect('agent presence: which replica holds an agent, while it is heard from', async (db) => {
  const presence = new AgentPresenceRepository(db);
  await register(db, 'agent-1', 1_000);
  await register(db, 'agent-2', 5_000);
  await register(db, 'agent-3', 5_000);
  await presence.claim('agent-1', 'replica-a');
  await presence.claim('agent-2', 'replica-a');
  await presence.claim('agent-2', 'replica-b'); // moved
  await presence.release('agent-2', 'replica-a'); // the old replica's late release changes nothing
  assert.deepEqual(
    await presence.connected(2_000),
    new Map([['agent-2', { replicaId: 'replica-b', lastSeenAt: 5_000 }]]),
  );
  assert.deepEqual([...(await presence.connected(0)).keys()].sort(), ['agent-1', 'agent-2']);
  await presence.release('agent-2', 'replica-b');
  assert.deepEqual([...(await presence.connected(0)).keys()], ['agent-1']);

  await seedRun(db, 'run_1', ['t1', 't2', 't3']);
  await leaseTask(db, 't2', 'agent-1', 9_000);
  await leaseTask(db, 't3', 'agent-3', 9_000);
  await new DispatchRepository(db).markTaskRunning('t3', 1, 10, 9_000);
  assert.deepEqual(
    await presence.runningTasks(),
    new Map([
      ['agent-1', 't2'],
      ['agent-3', 't3'],
    ]),
  );
});
