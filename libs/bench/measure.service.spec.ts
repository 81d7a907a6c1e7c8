import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '#onnx';
import { smallTask } from './bench-test.fixture.js';
import { type BenchProgress } from './bench.types.js';
import { measure } from './measure.service.js';

await test('measure in-process on the detection model at a small shape', async () => {
  const progress: BenchProgress[] = [];
  const r = await measure(smallTask({ iterations: 6, profile: true, profileIterations: 3, seed: 3 }), (p) =>
    progress.push(p),
  );

  assert.equal(r.ortVersion, '1.30.0');
  assert.equal(r.ep, 'cpu');
  assert.equal(r.samplesMs.length, 6);
  assert.ok(r.samplesMs.every((ms) => ms > 0));
  assert.equal(r.latency.count, 6);
  assert.ok(r.latency.min <= r.latency.median && r.latency.median <= r.latency.max);
  assert.ok(r.loadMs > 0 && r.firstRunMs > 0);
  assert.deepEqual(r.inputs, [{ name: 'x', dims: [1, 3, 64, 64], elemType: 'float32', source: 'synthetic' }]);
  assert.ok(r.ops.length > 100);
  assert.ok(r.ops.every((o) => o.provider === 'CPUExecutionProvider'));
  assert.ok(Math.abs(r.ops.reduce((a, o) => a + o.share, 0) - 1) < 1e-9);
  assert.ok(r.profiledRunMedianMs! > 0);
  assert.ok(r.arenaPeakBytes! > 0);
  assert.ok(r.peakRssBytes > 0);

  const phases = [...new Set(progress.map((p) => p.phase))];
  assert.deepEqual(phases, ['load', 'first-run', 'warmup', 'measure', 'profile']);
  const last = progress.filter((p) => p.phase === 'measure').at(-1)!;
  assert.deepEqual([last.done, last.total], [6, 6]);
});

await test('timed-loop progress streams every sample exactly once, in order', async () => {
  const progress: BenchProgress[] = [];
  const r = await measure(smallTask({ iterations: 3, minDurationMs: 700, profile: false }), (p) =>
    progress.push(p),
  );
  const timed = progress.filter((p) => p.phase === 'measure');
  assert.ok(timed.length >= 2, 'several messages during a 0.7 s loop');
  const streamed = timed.flatMap((p) => p.samplesMs ?? []);
  assert.deepEqual(streamed, r.samplesMs);
  let next = 0;
  for (const p of timed) {
    assert.equal(p.firstIndex, next);
    next += p.samplesMs!.length;
  }
});

await test('minDurationMs keeps iterating past the iteration count, up to maxIterations', async () => {
  const r = await measure(
    smallTask({ warmupIterations: 0, iterations: 2, minDurationMs: 10_000, maxIterations: 7 }),
  );
  assert.equal(r.samplesMs.length, 7);
  assert.deepEqual(r.ops, []);
  assert.equal(r.profiledRunMedianMs, undefined);
});

await test('a dynamic shape left open is INVALID_INPUT', async () => {
  await assert.rejects(measure(smallTask({ shapes: {} })), {
    name: 'BenchError',
    code: 'INVALID_INPUT',
    message: "input 'x' has dynamic dimensions [?,3,?,?]; give its shape, e.g. --shape x=1x3x640x640",
  });
});

await test('a shape for an unknown input is INVALID_INPUT naming it', async () => {
  await assert.rejects(measure(smallTask({ shapes: { x: [1, 3, 64, 64], images: [1, 3, 64, 64] } })), {
    code: 'INVALID_INPUT',
    message: /unknown input 'images'/,
  });
});

await test('webgpu without a GPU is EP_UNAVAILABLE with ORT reason, never a CPU fallback', async () => {
  await assert.rejects(measure(smallTask({}, 'webgpu')), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'EP_UNAVAILABLE');
    assert.match(err.message, /^execution provider 'webgpu' is unavailable: .*adapter/is);
    return true;
  });
});

await test('an EP onnxruntime-node does not know is EP_UNAVAILABLE', async () => {
  await assert.rejects(measure(smallTask({}, 'nosuch')), {
    code: 'EP_UNAVAILABLE',
    message: /'nosuch' is unknown to onnxruntime-node .*known: cpu/,
  });
});

await test('a file that is not a model is MODEL_LOAD_FAILED with ORT message', async () => {
  const task = { ...smallTask(), modelPath: fileURLToPath(import.meta.url) };
  await assert.rejects(measure(task), { code: 'MODEL_LOAD_FAILED', message: /Protobuf parsing failed/ });
  await assert.rejects(measure({ ...task, modelPath: '/does/not/exist.onnx' }), {
    code: 'MODEL_LOAD_FAILED',
    message: /cannot be read/,
  });
});

await test('bad counts are INVALID_INPUT', async () => {
  await assert.rejects(measure(smallTask({ iterations: 0 })), {
    code: 'INVALID_INPUT',
    message: /iterations must be an integer >= 1/,
  });
});

await test('input files feed the model and are reported as such; mismatches are INVALID_INPUT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-inputs-spec-'));
  try {
    const good = join(dir, 'x.npy');
    const data = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => (i % 7) / 7);
    await writeFile(good, encodeNpy({ elemType: 'float32', dims: [1, 3, 32, 32], data }));
    const r = await measure(
      smallTask({ shapes: {}, inputFiles: { x: good }, iterations: 1, warmupIterations: 0 }),
    );
    assert.deepEqual(r.inputs, [{ name: 'x', dims: [1, 3, 32, 32], elemType: 'float32', source: 'file' }]);

    const ints = join(dir, 'ints.npy');
    await writeFile(
      ints,
      encodeNpy({ elemType: 'int64', dims: [1, 3, 32, 32], data: new BigInt64Array(3 * 32 * 32) }),
    );
    await assert.rejects(measure(smallTask({ shapes: {}, inputFiles: { x: ints } })), {
      code: 'INVALID_INPUT',
      message: "input 'x' expects float32 but its file holds int64",
    });
    const junk = join(dir, 'junk.npy');
    await writeFile(junk, 'not a tensor');
    await assert.rejects(measure(smallTask({ shapes: {}, inputFiles: { x: junk } })), {
      code: 'INVALID_INPUT',
      message: /^input 'x': .*junk\.npy/,
    });
    await assert.rejects(measure(smallTask({ shapes: { x: [1, 3, 64, 64] }, inputFiles: { x: good } })), {
      code: 'INVALID_INPUT',
      message: /--shape \[1,3,64,64\] disagrees with its file \[1,3,32,32\]/,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
