import assert from 'node:assert/strict';
import { type AgentRecord, AgentRepository } from '../../apps/coordinator/store/agent.repository.js';
import { forEachDialect } from '../support/store-dialects.js';

const agent = (id: string, lastSeenAt: number, name = `name-${id}`): Omit<AgentRecord, 'firstSeenAt'> => ({
  id,
  name,
  labels: [{ key: 'pool', value: 'ci' }],
  fingerprint: { cpuModel: 'Test CPU', cpuCores: 4, memoryBytes: '8589934592' } as AgentRecord['fingerprint'],
  executionProviders: [{ name: 'cpu', available: true, reason: '' }],
  runtimes: [{ version: '1.30.0', packageName: 'onnxruntime-node', isDefault: true, executionProviders: [] }],
  lastSeenAt,
});

await forEachDialect('agents: registered once, updated on reconnect, listed oldest first', async (db) => {
  const agents = new AgentRepository(db);
  await agents.upsert(agent('agent_a', 1_000));
  await agents.upsert(agent('agent_B', 1_000)); // same first-seen time: the id decides, in byte order
  await agents.upsert(agent('agent_0', 500));
  await agents.upsert({ ...agent('agent_a', 2_000, 'renamed'), labels: [] });
  await agents.touch('agent_0', 3_000);
  const list = await agents.list();
  assert.deepEqual(
    list.map((a) => [a.id, a.name, a.firstSeenAt, a.lastSeenAt]),
    [
      ['agent_0', 'name-agent_0', 500, 3_000],
      ['agent_B', 'name-agent_B', 1_000, 1_000],
      ['agent_a', 'renamed', 1_000, 2_000],
    ],
  );
  assert.deepEqual(list[1], { ...agent('agent_B', 1_000), firstSeenAt: 1_000 });
  assert.deepEqual(list[2]?.labels, []);
});
