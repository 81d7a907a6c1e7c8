import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Runtime, type Target } from '#contracts';
import { type ConnectedAgent } from '../agents/agent-registry.service.js';
import { placeTasks, targetRuntimes } from './agent-matcher.js';

function agent(
  id: string,
  labels: Record<string, string>,
  eps: Record<string, string>,
  versions: string[] = [],
): ConnectedAgent {
  const executionProviders = Object.entries(eps).map(([name, reason]) => ({
    name,
    available: reason === '',
    reason,
  }));
  const runtimes: Runtime[] = versions.map((version, i) => ({
    version,
    packageName: `onnxruntime-node-${version}`,
    isDefault: i === versions.length - 1,
    executionProviders,
  }));
  return {
    id,
    name: id,
    labels: Object.entries(labels).map(([key, value]) => ({ key, value })),
    fingerprint: {} as ConnectedAgent['fingerprint'],
    executionProviders,
    runtimes,
    send: () => undefined,
    close: () => undefined,
  };
}

const agents = [
  agent('cpu-box', { tier: 'small' }, { cpu: '', webgpu: 'No supported adapters' }, ['1.20.1', '1.30.0']),
  agent('gpu-box', { gpu: 'h200' }, { cpu: '', webgpu: '' }, ['1.30.0']),
];
const target = (t: Partial<Target>): Target => ({
  labels: [],
  executionProviders: [],
  agents: [],
  anyOneAgent: false,
  runtimes: [],
  ...t,
});

await test('one task per matching agent and EP; cpu and the default runtime by default', () => {
  assert.deepEqual(placeTasks(target({}), agents), [
    { agentId: 'cpu-box', ep: 'cpu', runtime: '' },
    { agentId: 'gpu-box', ep: 'cpu', runtime: '' },
  ]);
  assert.deepEqual(placeTasks(target({ executionProviders: ['webgpu'] }), agents), [
    { agentId: 'gpu-box', ep: 'webgpu', runtime: '' },
  ]);
  assert.deepEqual(placeTasks(target({ anyOneAgent: true }), agents), [
    { agentId: null, ep: 'cpu', runtime: '' },
  ]);
  assert.deepEqual(placeTasks(target({ agents: ['gpu-box'] }), agents), [
    { agentId: 'gpu-box', ep: 'cpu', runtime: '' },
  ]);
});

await test('runtimes are a dimension: oldest first, matched by prefix, only where installed', () => {
  assert.deepEqual(targetRuntimes(target({ runtimes: ['1.30', '1.20', '1.30'] })), ['1.20', '1.30']);
  assert.deepEqual(placeTasks(target({ runtimes: ['1.30', '1.20'] }), agents), [
    { agentId: 'cpu-box', ep: 'cpu', runtime: '1.20' },
    { agentId: 'cpu-box', ep: 'cpu', runtime: '1.30' },
    { agentId: 'gpu-box', ep: 'cpu', runtime: '1.30' },
  ]);
  assert.throws(
    () => placeTasks(target({ runtimes: ['1.18'] }), agents),
    /no matching agent has ONNX Runtime 1\.18 \(installed: cpu-box: 1\.20\.1, 1\.30\.0; gpu-box: 1\.30\.0\)/,
  );
  assert.throws(
    () => placeTasks(target({ runtimes: ['1.2'] }), agents),
    /ONNX Runtime 1\.2 /,
    "'1.2' is not a prefix of '1.20.1'",
  );
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
