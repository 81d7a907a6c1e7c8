import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smallTask } from './bench-test.fixture.js';
import { type BenchProgress } from './bench.types.js';
import { runInChildProcess } from './child-runner.client.js';

await test('runs the task in a child and returns its result with the child peak RSS', async () => {
  const progress: BenchProgress[] = [];
  const r = await runInChildProcess(smallTask({ iterations: 4 }), {
    onProgress: (p) => progress.push(p),
    timeoutMs: 60_000,
  });
  assert.equal(r.samplesMs.length, 4);
  assert.ok(r.peakRssBytes > 0);
  assert.ok(progress.some((p) => p.phase === 'measure'));
});

await test('errors inside the child keep their code', async () => {
  await assert.rejects(runInChildProcess(smallTask({ shapes: {} })), {
    name: 'BenchError',
    code: 'INVALID_INPUT',
    message: /dynamic dimensions/,
  });
});

await test('a child that aborts is RUNNER_CRASHED with its signal and last output; the parent lives on', async () => {
  await assert.rejects(
    runInChildProcess(smallTask({ __crashForTest: 'abort' })),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'RUNNER_CRASHED');
      assert.match(err.message, /runner exited with signal SIGABRT/);
      assert.match(err.message, /crashing on purpose \(abort\)/);
      return true;
    },
  );
  await assert.rejects(runInChildProcess(smallTask({ __crashForTest: 'exit' })), {
    code: 'RUNNER_CRASHED',
    message: /with code 3/,
  });
  const again = await runInChildProcess(smallTask({ iterations: 1, warmupIterations: 0 }));
  assert.equal(again.samplesMs.length, 1);
});

await test('a runner that outlives timeoutMs is killed: TIMEOUT', async () => {
  await assert.rejects(runInChildProcess(smallTask({ __crashForTest: 'hang' }), { timeoutMs: 1500 }), {
    code: 'TIMEOUT',
    message: /exceeded 1500 ms/,
  });
});

await test('aborting the signal kills the runner: CANCELLED', async () => {
  const controller = new AbortController();
  const running = runInChildProcess(smallTask({ iterations: 1_000_000, maxIterations: 1_000_000 }), {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.phase === 'measure') {
        controller.abort();
      }
    },
  });
  await assert.rejects(running, { code: 'CANCELLED' });
  await assert.rejects(runInChildProcess(smallTask(), { signal: AbortSignal.abort() }), {
    code: 'CANCELLED',
  });
});
