import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareVersions, listRuntimes, resolveRuntime } from './runtime-registry.util.js';

async function fakePackage(root: string, dir: string, name: string, version: string, binding = true) {
  const pkg = join(root, dir);
  await mkdir(join(pkg, 'bin', 'napi-v6', process.platform, process.arch), { recursive: true });
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name, version }));
  if (binding) {
    await writeFile(
      join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node'),
      '',
    );
  }
}

await test('this checkout: the three installed runtimes, oldest first, 1.30 the default', () => {
  assert.deepEqual(listRuntimes(), [
    { version: '1.20.1', packageName: 'onnxruntime-node-1.20', isDefault: false },
    { version: '1.22.0', packageName: 'onnxruntime-node-1.22', isDefault: false },
    { version: '1.30.0', packageName: 'onnxruntime-node', isDefault: true },
  ]);
});

await test('resolveRuntime takes a minor, a full version, a package name or nothing', () => {
  assert.equal(resolveRuntime('1.22').packageName, 'onnxruntime-node-1.22');
  assert.equal(resolveRuntime('1.20.1').packageName, 'onnxruntime-node-1.20');
  assert.equal(resolveRuntime('onnxruntime-node-1.20').version, '1.20.1');
  assert.equal(resolveRuntime(undefined).packageName, 'onnxruntime-node');
  assert.equal(resolveRuntime('1').version, '1.30.0', 'a major picks its newest release');
  assert.throws(() => resolveRuntime('1.18'), {
    name: 'BenchError',
    code: 'RUNTIME_UNAVAILABLE',
    message: 'runtime 1.18 is not installed on this agent (installed: 1.20.1, 1.22.0, 1.30.0)',
  });
  assert.throws(() => resolveRuntime('1.2'), { code: 'RUNTIME_UNAVAILABLE' }, '1.2 is not a prefix of 1.20');
});

await test('discovery skips impostors and packages without a native binding; one entry per version', async () => {
  const root = await mkdtemp(join(tmpdir(), 'bench-runtimes-spec-'));
  try {
    await fakePackage(root, 'onnxruntime-node', 'onnxruntime-node', '1.30.0');
    await fakePackage(root, 'onnxruntime-node-1.9', 'onnxruntime-node', '1.9.0');
    await fakePackage(root, 'onnxruntime-node-broken', 'onnxruntime-node', '1.21.0', false);
    await fakePackage(root, 'onnxruntime-node-web', 'onnxruntime-web', '1.22.0');
    await fakePackage(root, 'onnxruntime-node-same', 'onnxruntime-node', '1.30.0');
    await fakePackage(root, 'onnxruntime-common', 'onnxruntime-common', '1.30.0');
    const found = listRuntimes({ nodeModulesDir: root });
    assert.deepEqual(found, [
      { version: '1.9.0', packageName: 'onnxruntime-node-1.9', isDefault: false },
      { version: '1.30.0', packageName: 'onnxruntime-node', isDefault: true },
    ]);
    assert.deepEqual(listRuntimes({ nodeModulesDir: join(root, 'nothing') }), []);
    assert.throws(() => resolveRuntime(undefined, []), {
      code: 'RUNTIME_UNAVAILABLE',
      message: 'onnxruntime-node is not installed on this agent (installed: none)',
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

await test('versions compare numerically', () => {
  assert.ok(compareVersions('1.9.0', '1.20.1') < 0);
  assert.ok(compareVersions('1.22.0', '1.22.0-dev') === 0);
  assert.ok(compareVersions('2.0', '1.99.9') > 0);
});
