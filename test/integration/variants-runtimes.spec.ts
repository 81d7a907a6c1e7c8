import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { toResultJson } from '#report';
import { FAST_SCENARIO, TestFarm, grpcError } from '../support/test-farm.js';

// Compressed variants and ONNX Runtime versions as dimensions of a run, end to end: recipes travel as text,
// the coordinator builds each variant once in a worker thread, the agent compares outputs on the same inputs.
const clsBytes = await readFile(bundledModelPath('cls'));
const farm = await TestFarm.start([{ name: 'solo', threads: 1 }]);
const cls = await farm.upload(clsBytes, 'cls.onnx');
const model = [{ sha256: cls.sha256, name: 'cls.onnx' }];
const shapes = [{ input: 'x', dims: ['1', '3', '48', '192'] }];
const int8 = await readFile('recipes/quantize-int8-per-channel.yaml', 'utf8');
const pal4 = await readFile('recipes/palettize-4bit-grouped16.yaml', 'utf8');

await test('a run with recipes measures the original and each variant, with compression and fidelity', async () => {
  const { run } = await farm.submit({
    models: model,
    scenario: { ...FAST_SCENARIO, shapes },
    recipes: [
      { name: 'int8', text: int8 },
      { name: 'pal4', text: pal4 },
    ],
  });
  assert.equal(run!.tasksTotal, 3);
  assert.equal((await farm.watch(run!.id)).at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
  const response = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.equal(response.variants.length, 2);
  const json = toResultJson(response, (await lastValueFrom(farm.client.coordinator.listAgents({}))).agents);
  const byVariant = new Map(json.results.map((r) => [r.variant, r]));
  assert.deepEqual([...byVariant.keys()].sort(), ['int8', 'original', 'pal4']);
  const original = byVariant.get('original')!;
  assert.equal(original.fidelity, undefined, 'the original is the reference');
  for (const name of ['int8', 'pal4']) {
    const v = byVariant.get(name)!;
    assert.ok(v.sizeBytes < original.sizeBytes, `${name} is smaller on disk`);
    assert.ok(v.compression && v.compression.ratio < 1 && v.compression.recipe === name);
    assert.ok((v.compressionTensors ?? []).some((t) => t.sqnrDb !== null && t.sqnrDb > 0));
    assert.ok(
      v.fidelity && v.fidelity.cosine > 0.5 && v.fidelity.cosine <= 1.000001,
      `${name} cosine ${v.fidelity?.cosine}`,
    );
    assert.equal(v.fidelity.reference, 'original');
    assert.ok(v.fidelity.top1Agreement !== undefined, 'class scores get a top-1 agreement');
  }
  assert.ok(
    byVariant.get('int8')!.fidelity!.snrDb > byVariant.get('pal4')!.fidelity!.snrDb,
    'int8 is more faithful than 4-bit',
  );
});

await test('the same (model, recipe) variant is built once and reused', async () => {
  const submit = () =>
    farm.submit({
      models: model,
      scenario: { ...FAST_SCENARIO, shapes },
      recipes: [{ name: 'int8', text: int8 }],
    });
  const first = await submit();
  const second = await submit();
  await farm.watch(first.run!.id);
  await farm.watch(second.run!.id);
  const a = await lastValueFrom(farm.client.coordinator.getRun({ runId: first.run!.id }));
  const b = await lastValueFrom(farm.client.coordinator.getRun({ runId: second.run!.id }));
  assert.equal(a.variants[0]?.variantSha256, b.variants[0]?.variantSha256);
  assert.equal(a.variants[0]?.recipeHash, b.variants[0]?.recipeHash);
});

await test('a bad recipe is refused naming the key and the allowed values, and stores nothing', async () => {
  const before = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 100 }));
  const bad = await grpcError(
    farm.submit({
      models: model,
      scenario: { ...FAST_SCENARIO, shapes },
      recipes: [{ name: 'bad', text: 'global:\n  palettize:\n    nbits: 5\n' }],
    }),
  );
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /palettize\.nbits.*1, 2, 3, 4, 6, 8/);
  const unknown = await grpcError(
    farm.submit({
      models: model,
      scenario: { ...FAST_SCENARIO, shapes },
      recipes: [{ name: 'bad', text: 'global:\n  palettise: {}\n' }],
    }),
  );
  assert.equal(unknown.code, status.INVALID_ARGUMENT);
  assert.match(unknown.details, /palettise/);
  const after = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 100 }));
  assert.equal(after.runs.length, before.runs.length);
});

await test('runtimes: each requested version measures, outputs compared with the oldest; a missing one is refused', async () => {
  const agent = farm.agents[0]!;
  const versions = agent.runtimes.map((r) => r.version);
  assert.ok(versions.length >= 3, `the agent reports its runtimes: ${versions.join(', ')}`);
  assert.ok(
    agent.runtimes.every((r) => r.executionProviders.some((ep) => ep.name === 'cpu' && ep.available)),
  );

  const missing = await grpcError(
    farm.submit({ models: model, scenario: { ...FAST_SCENARIO, shapes }, target: { runtimes: ['1.18'] } }),
  );
  assert.equal(missing.code, status.FAILED_PRECONDITION);
  assert.match(missing.details, /ONNX Runtime 1\.18 \(installed: solo: 1\.20\.1, 1\.22\.0, 1\.30\.0\)/);

  // 1.20 cannot run the opset-21 variant: that task fails with ONNX Runtime's reason, the others finish.
  const { run } = await farm.submit({
    models: model,
    scenario: { ...FAST_SCENARIO, shapes },
    target: { runtimes: ['1.30', '1.20'] },
    recipes: [{ name: 'pal4', text: pal4 }],
  });
  await farm.watch(run!.id);
  const response = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  const byKey = new Map(response.tasks.map((t) => [`${t.variant}@${t.runtime}`, t]));
  assert.equal(byKey.get('original@1.20')?.state, TaskState.TASK_STATE_SUCCEEDED);
  assert.equal(byKey.get('original@1.30')?.state, TaskState.TASK_STATE_SUCCEEDED);
  assert.equal(byKey.get('pal4@1.30')?.state, TaskState.TASK_STATE_SUCCEEDED);
  assert.equal(byKey.get('pal4@1.20')?.state, TaskState.TASK_STATE_FAILED);
  assert.match(byKey.get('pal4@1.20')!.error, /MODEL_LOAD_FAILED/);
  const json = toResultJson(response, []);
  const newer = json.results.find((r) => r.variant === 'original' && r.runtime.startsWith('1.30'))!;
  const older = json.results.find((r) => r.variant === 'original' && r.runtime.startsWith('1.20'))!;
  assert.equal(older.fidelity, undefined, 'the oldest runtime is the reference');
  assert.match(newer.fidelity?.reference ?? '', /1\.20/);
  assert.ok(newer.fidelity!.cosine > 0.9999, 'the same model agrees across runtimes');
});

await farm.close();
