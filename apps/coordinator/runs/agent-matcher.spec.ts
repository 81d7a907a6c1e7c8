import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Target } from '#contracts';
import { type ConnectedAgent } from '../agents/agent-registry.service.js';
import { placeTasks } from './agent-matcher.js';

function agent(id: string, labels: Record<string, string>, eps: Record<string, string>): ConnectedAgent {
  return {
    id,
    name: id,
    labels: Object.entries(labels).map(([key, value]) => ({ key, value })),
    fingerprint: {} as ConnectedAgent['fingerprint'],
    executionProviders: Object.entries(eps).map(([name, reason]) => ({
      name,
      available: reason === '',
      reason,
    })),
    send: () => undefined,
    close: () => undefined,
  };
}

const agents = [
  agent('cpu-box', { tier: 'small' }, { cpu: '', webgpu: 'No supported adapters' }),
  agent('gpu-box', { gpu: 'h200' }, { cpu: '', webgpu: '' }),
];
const target = (t: Partial<Target>): Target => ({
  labels: [],
  executionProviders: [],
  agents: [],
  anyOneAgent: false,
  ...t,
});

await test('one task per matching agent and EP; cpu by default', () => {
  assert.deepEqual(placeTasks(target({}), agents), [
    { agentId: 'cpu-box', ep: 'cpu' },
    { agentId: 'gpu-box', ep: 'cpu' },
  ]);
  assert.deepEqual(placeTasks(target({ executionProviders: ['webgpu'] }), agents), [
    { agentId: 'gpu-box', ep: 'webgpu' },
  ]);
  assert.deepEqual(placeTasks(target({ anyOneAgent: true }), agents), [{ agentId: null, ep: 'cpu' }]);
  assert.deepEqual(placeTasks(target({ agents: ['gpu-box'] }), agents), [{ agentId: 'gpu-box', ep: 'cpu' }]);
});

await test('no match names what is missing and why', () => {
  assert.throws(
    () => placeTasks(target({ labels: [{ key: 'gpu', value: 'a100' }] }), agents),
    /no connected agent has labels gpu=a100 \(agents: cpu-box\{tier=small\}, gpu-box\{gpu=h200\}\)/,
  );
  assert.throws(
    () =>
      placeTasks(
        target({ labels: [{ key: 'tier', value: 'small' }], executionProviders: ['webgpu'] }),
        agents,
      ),
    /'webgpu' \(cpu-box: No supported adapters\)/,
  );
  assert.throws(
    () => placeTasks(target({ executionProviders: ['cuda'] }), agents),
    /cpu-box: not offered; gpu-box: not offered/,
  );
  assert.throws(() => placeTasks(target({}), []), /none connected/);
});
