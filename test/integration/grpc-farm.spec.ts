import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import { RunState, TaskState } from '#contracts';
import { bundledModelPath } from '#common';
import { buildTinyModel, encodeOnnxModel } from '#onnx';
import { FAST_SCENARIO, TestFarm, grpcError, waitFor } from '../support/test-farm.js';

// Real coordinator, real agents, real gRPC on loopback, real ONNX Runtime on the PaddleOCR detector.
const detBytes = await readFile(bundledModelPath('det'));
const farm = await TestFarm.start([
  { name: 'small', labels: ['tier=small'], threads: 1 },
  { name: 'big', labels: ['tier=big'], threads: 2 },
]);
const det = await farm.upload(detBytes, 'det.onnx');

await test('upload stores the model once and reports its facts', async () => {
  assert.equal(det.sizeBytes, String(detBytes.length));
  assert.equal(det.facts?.nodeCount, 672);
  assert.deepEqual(det.facts?.inputs[0]?.dims, ['-1', '3', '-1', '-1']);
  const again = await farm.upload(detBytes, 'det-again.onnx');
  assert.equal(again.sha256, det.sha256);
  assert.equal(again.alreadyStored, true);
});

let firstRunId = '';

await test('a run on two agents returns a full measurement from each, streamed through WatchRun', async () => {
  const { run } = await farm.submit({ models: [{ sha256: det.sha256, name: 'det.onnx' }] });
  firstRunId = run!.id;
  assert.equal(run!.tasksTotal, 2);
  const events = await farm.watch(run!.id);
  const last = events.at(-1);
  assert.equal(last?.run?.state, RunState.RUN_STATE_SUCCEEDED);
  assert.ok(
    events.some((e) => e.progress?.phase === 'measure'),
    'progress events arrive while measuring',
  );
  assert.ok(events.some((e) => e.task?.state === TaskState.TASK_STATE_RUNNING));

  const { results, tasks } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.equal(results.length, 2);
  assert.ok(tasks.every((t) => t.state === TaskState.TASK_STATE_SUCCEEDED));
  const threads = results.map((r) => r.fingerprint?.intraOpThreads).sort();
  assert.deepEqual(threads, [1, 2], 'each agent measured with its own thread setting');
  for (const result of results) {
    const m = result.measurement!;
    assert.equal(m.samplesMs.length, 5);
    assert.equal(m.latency?.count, 5);
    assert.ok(m.latency.min <= m.latency.median && m.latency.median <= m.latency.max);
    assert.ok(m.latency.ci95Low <= m.latency.median && m.latency.median <= m.latency.ci95High);
    assert.ok(m.loadMs > 0 && m.firstRunMs > 0);
    assert.ok(Number(m.peakRssBytes) > 50 * 1024 * 1024, 'runner RSS holds ONNX Runtime and the model');
    assert.ok(m.ops.length > 100);
    const shareSum = m.ops.reduce((sum, op) => sum + op.share, 0);
    assert.ok(Math.abs(shareSum - 1) < 1e-6, `node shares sum to ${shareSum}`);
    assert.ok(m.ops.every((op) => op.provider === 'CPUExecutionProvider'));
    assert.equal(
      m.opTypes.reduce((sum, t) => sum + t.count, 0),
      m.ops.length,
    );
    assert.deepEqual(m.inputs[0]?.dims, ['1', '3', '96', '96']);
    assert.equal(result.model?.sha256, det.sha256);
  }
});

await test('labels pick the agents', async () => {
  const { run } = await farm.submit({
    models: [{ sha256: det.sha256, name: 'det.onnx' }],
    target: { labels: [{ key: 'tier', value: 'small' }] },
  });
  assert.equal(run!.tasksTotal, 1);
  await farm.watch(run!.id);
  const { results } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.equal(results[0]?.fingerprint?.intraOpThreads, 1);
});

await test('bad input is refused with a clear status and stores nothing', async () => {
  const before = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 100 }));
  const notOnnx = await grpcError(
    farm.upload(Buffer.from('this is a text file, not a model\n'), 'notes.onnx'),
  );
  assert.equal(notOnnx.code, status.INVALID_ARGUMENT);
  assert.match(notOnnx.details, /notes\.onnx.*not an ONNX model/);

  const truncated = await grpcError(
    farm.upload(detBytes.subarray(0, Math.floor(detBytes.length * 0.6)), 'cut.onnx'),
  );
  assert.equal(truncated.code, status.INVALID_ARGUMENT);
  assert.match(truncated.details, /truncated/);

  const ref = [{ sha256: det.sha256, name: 'det.onnx' }];
  const noShape = await grpcError(farm.submit({ models: ref, scenario: { ...FAST_SCENARIO, shapes: [] } }));
  assert.equal(noShape.code, status.INVALID_ARGUMENT);
  assert.match(noShape.details, /input 'x' .* dynamic dimensions \[\?,3,\?,\?\]/);

  const wrongName = await grpcError(
    farm.submit({ models: ref, scenario: { ...FAST_SCENARIO, shapes: [{ input: 'image', dims: ['1'] }] } }),
  );
  assert.equal(wrongName.code, status.INVALID_ARGUMENT);
  assert.match(wrongName.details, /'image'/);

  const wrongRank = await grpcError(
    farm.submit({
      models: ref,
      scenario: { ...FAST_SCENARIO, shapes: [{ input: 'x', dims: ['1', '3', '96'] }] },
    }),
  );
  assert.equal(wrongRank.code, status.INVALID_ARGUMENT);
  assert.match(wrongRank.details, /rank 3/);

  const webgpu = await grpcError(
    farm.submit({
      models: ref,
      target: { executionProviders: ['webgpu'] },
    }),
  );
  assert.equal(webgpu.code, status.FAILED_PRECONDITION);
  assert.match(webgpu.details, /'webgpu'.*adapter/i, "names the EP and gives ONNX Runtime's reason");

  const label = await grpcError(
    farm.submit({
      models: ref,
      target: { labels: [{ key: 'gpu', value: 'h200' }] },
    }),
  );
  assert.equal(label.code, status.FAILED_PRECONDITION);
  assert.match(label.details, /gpu=h200/);

  const unknown = await grpcError(farm.submit({ models: [{ sha256: 'a'.repeat(64), name: '' }] }));
  assert.equal(unknown.code, status.NOT_FOUND);

  const traversal = await grpcError(farm.submit({ models: [{ sha256: '../../etc/passwd', name: '' }] }));
  assert.equal(traversal.code, status.INVALID_ARGUMENT);

  const noRun = await grpcError(lastValueFrom(farm.client.coordinator.getRun({ runId: 'run_missing' })));
  assert.equal(noRun.code, status.NOT_FOUND);

  const after = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 100 }));
  assert.deepEqual(
    after.runs.map((r) => r.id),
    before.runs.map((r) => r.id),
    'no run was stored',
  );
  const stored = await readdir(join(farm.dataDir, 'artifacts', 'sha256'), { recursive: true });
  assert.deepEqual(
    stored.filter((f) => f.length > 60).map((f) => f.split('/').pop()),
    [det.sha256],
    'only the good model is stored',
  );
  assert.deepEqual(
    await readdir(join(farm.dataDir, 'artifacts', 'tmp')),
    [],
    'rejected uploads leave no temp files',
  );
});

await test('a model ONNX Runtime rejects fails its task with the reason; the agent takes the next task', async () => {
  const broken = buildTinyModel();
  broken.graph!.node[0]!.opType = 'NoSuchOperator';
  const upload = await farm.upload(encodeOnnxModel(broken), 'broken.onnx');
  const { run } = await farm.submit({
    models: [{ sha256: upload.sha256, name: 'broken.onnx' }],
    scenario: { ...FAST_SCENARIO, shapes: [] },
  });
  const events = await farm.watch(run!.id);
  assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_FAILED);
  const { tasks } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
  assert.ok(tasks.every((t) => t.state === TaskState.TASK_STATE_FAILED));
  assert.match(tasks[0]!.error, /MODEL_LOAD_FAILED: .*NoSuchOperator/);

  const next = await farm.submit({ models: [{ sha256: det.sha256, name: 'det.onnx' }] });
  assert.equal((await farm.watch(next.run!.id)).at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
});

await test('CancelRun stops a running task on its agent long before it would end', async () => {
  const { run } = await farm.submit({
    models: [{ sha256: det.sha256, name: 'det.onnx' }],
    target: { labels: [{ key: 'tier', value: 'big' }] },
    scenario: { ...FAST_SCENARIO, minDurationMs: 120_000, iterations: 1_000_000 },
  });
  const watched = farm.watch(run!.id);
  await waitFor(
    async () => {
      const { tasks } = await lastValueFrom(farm.client.coordinator.getRun({ runId: run!.id }));
      return tasks[0]?.state === TaskState.TASK_STATE_RUNNING;
    },
    30_000,
    'the task to run',
  );
  const started = Date.now();
  const cancelled = await lastValueFrom(farm.client.coordinator.cancelRun({ runId: run!.id }));
  assert.equal(cancelled.run?.state, RunState.RUN_STATE_CANCELLED);
  assert.equal((await watched).at(-1)?.run?.state, RunState.RUN_STATE_CANCELLED);
  // The agent is free again once its runner child is gone: a new run on it completes.
  const next = await farm.submit({
    models: [{ sha256: det.sha256, name: 'det.onnx' }],
    target: { labels: [{ key: 'tier', value: 'big' }] },
  });
  assert.equal((await farm.watch(next.run!.id)).at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
  assert.ok(Date.now() - started < 60_000, 'the cancelled 120 s task did not keep the agent busy');
  const again = await grpcError(lastValueFrom(farm.client.coordinator.cancelRun({ runId: run!.id })));
  assert.equal(again.code, status.FAILED_PRECONDITION);
});

await test('a coordinator restart keeps every stored run; agents reconnect on their own', async () => {
  const before = await lastValueFrom(farm.client.coordinator.getRun({ runId: firstRunId }));
  const runsBefore = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 100 }));
  await farm.restartCoordinator();
  const after = await lastValueFrom(farm.client.coordinator.getRun({ runId: firstRunId }));
  assert.deepEqual(after, before);
  const runsAfter = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 100 }));
  assert.deepEqual(runsAfter.runs, runsBefore.runs);
  await farm.waitForAgents(2);
  const { run } = await farm.submit({ models: [{ sha256: det.sha256, name: 'det.onnx' }] });
  assert.equal((await farm.watch(run!.id)).at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
});

await farm.close();
