import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundledModelPath } from '#common';
import { buildTinyModel, encodeOnnxModel } from '#onnx';
import { type BenchScenario, type RunnerTask } from './bench.types.js';
import { runInChildProcess } from './child-runner.client.js';
import { defaultScenario } from './default-scenario.util.js';
import { probeRuntimeEps } from './ep-probe.client.js';
import { SNR_CAP_DB } from './fidelity.util.js';
import { measure } from './measure.service.js';
import { captureReferenceOutputs } from './reference-capture.client.js';
import { listRuntimes } from './runtime-registry.util.js';

const RUNTIMES = listRuntimes().map((r) => r.version);
const OLDEST = RUNTIMES[0]!;
const dir = await mkdtemp(join(tmpdir(), 'bench-runtimes-spec-'));

function task(
  model: 'det' | 'rec',
  runtime: string | undefined,
  overrides: Partial<BenchScenario> = {},
): RunnerTask {
  const dims = model === 'det' ? [1, 3, 96, 96] : [1, 3, 48, 320];
  return {
    modelPath: bundledModelPath(model),
    ep: 'cpu',
    ...(runtime !== undefined && { runtime }),
    scenario: defaultScenario({
      warmupIterations: 1,
      iterations: 3,
      profile: false,
      intraOpThreads: 1,
      seed: 7,
      shapes: { x: dims },
      ...overrides,
    }),
  };
}

try {
  await test('each runner child loads the runtime its task names and reports that version', async () => {
    assert.ok(RUNTIMES.length >= 3, `three runtimes installed, got ${RUNTIMES.join(', ')}`);
    for (const version of RUNTIMES) {
      const r = await runInChildProcess(task('det', version), { timeoutMs: 60_000 });
      assert.equal(r.ortVersion, version);
      assert.equal(r.samplesMs.length, 3);
      assert.deepEqual(r.inputs, [
        { name: 'x', dims: [1, 3, 96, 96], elemType: 'float32', source: 'synthetic' },
      ]);
    }
  });

  await test('a runtime the agent lacks is refused before any child starts', async () => {
    await assert.rejects(runInChildProcess(task('det', '1.18')), {
      name: 'BenchError',
      code: 'RUNTIME_UNAVAILABLE',
      message: `runtime 1.18 is not installed on this agent (installed: ${RUNTIMES.join(', ')})`,
    });
    await assert.rejects(captureReferenceOutputs(task('det', '0.9'), join(dir, 'never.bin')), {
      code: 'RUNTIME_UNAVAILABLE',
    });
  });

  await test('one process holds one runtime: in-process measure refuses a second', async () => {
    const r = await measure(task('det', undefined, { iterations: 1, warmupIterations: 0 }));
    assert.equal(r.ortVersion, RUNTIMES.at(-1));
    await assert.rejects(measure(task('det', OLDEST)), {
      code: 'RUNTIME_UNAVAILABLE',
      message: new RegExp(
        `already loaded onnxruntime-node ${RUNTIMES.at(-1)}; runtime ${OLDEST} needs its own`,
      ),
    });
  });

  await test('rec on every runtime against the oldest: same feeds, per-timestep top-1 agreement', async () => {
    const refPath = join(dir, 'rec-ref.bin');
    const ref = await captureReferenceOutputs(task('rec', OLDEST), refPath, { timeoutMs: 60_000 });
    assert.equal(ref.ortVersion, OLDEST);
    assert.equal(ref.outputs.length, 1);
    assert.deepEqual(ref.outputs[0]!.dims.slice(0, 1), [1]);
    assert.equal(ref.outputs[0]!.elemType, 'float32');
    // The newest runtime builds bit-identical feeds (metadata from the session, not the file).
    const newest = await captureReferenceOutputs(task('rec', undefined), join(dir, 'rec-new.bin'));
    assert.equal(newest.inputsDigest, ref.inputsDigest);
    for (const version of RUNTIMES) {
      const r = await runInChildProcess({ ...task('rec', version), reference: { outputsPath: refPath } });
      const f = r.fidelity!;
      assert.equal(f.inputsMatch, true);
      assert.equal(f.referenceOrtVersion, OLDEST);
      assert.deepEqual(f.mismatchedOutputs, []);
      assert.ok(f.cosine > 0.999, `${version}: cosine ${f.cosine}`);
      assert.ok(f.snrDb > 40, `${version}: SNR ${f.snrDb}`);
      assert.ok(f.top1Agreement! > 0.9, `${version}: top-1 ${f.top1Agreement}`);
      assert.ok(f.top5Agreement! > 0.9);
      assert.equal(f.outputs[0]!.top1Agreement, f.top1Agreement);
      if (version === OLDEST) {
        assert.equal(f.snrDb, SNR_CAP_DB, 'same runtime, same feeds, one thread: identical');
        assert.equal(f.maxAbsError, 0);
      }
    }
  });

  await test('a reference of another shape is a reported mismatch, not a crash', async () => {
    const refPath = join(dir, 'det-ref.bin');
    await captureReferenceOutputs(task('det', OLDEST), refPath);
    const r = await runInChildProcess({
      ...task('det', undefined, { shapes: { x: [1, 3, 64, 64] } }),
      reference: { outputsPath: refPath },
    });
    const f = r.fidelity!;
    assert.equal(f.inputsMatch, false);
    assert.equal(f.top1Agreement, undefined, 'a [N,1,H,W] map is not class scores');
    assert.equal(f.mismatchedOutputs.length, 1);
    assert.match(f.outputs[0]!.mismatch!, /shape \[1,1,64,64\] differs from the reference \[1,1,96,96\]/);
    assert.equal(f.cosine, 0);
    assert.equal(r.samplesMs.length, 3, 'the measurement itself stands');
  });

  await test('a model too new for the oldest runtime is MODEL_LOAD_FAILED there; the others run it', async () => {
    const modelPath = join(dir, 'opset22.onnx');
    await writeFile(modelPath, encodeOnnxModel(buildTinyModel({ opsetVersion: 22, irVersion: 10 })));
    const settled = await Promise.allSettled(
      RUNTIMES.map((runtime) =>
        runInChildProcess({
          modelPath,
          ep: 'cpu',
          runtime,
          scenario: defaultScenario({ profile: false, iterations: 2 }),
        }),
      ),
    );
    const [oldest, ...rest] = settled;
    assert.equal(oldest!.status, 'rejected');
    const reason = (oldest as PromiseRejectedResult).reason as Error & { code?: string };
    assert.equal(reason.code, 'MODEL_LOAD_FAILED');
    assert.match(reason.message, /Current official support for domain ai\.onnx is till opset 21/);
    for (const [i, s] of rest.entries()) {
      assert.equal(s.status, 'fulfilled', `runtime ${RUNTIMES[i + 1]} runs opset 22`);
    }
  });

  await test('a crash in one runtime child fails only that task', async () => {
    const crashing = RUNTIMES[1]!;
    const settled = await Promise.allSettled(
      RUNTIMES.map((runtime) =>
        runInChildProcess(task('det', runtime, runtime === crashing ? { __crashForTest: 'abort' } : {}), {
          timeoutMs: 60_000,
        }),
      ),
    );
    settled.forEach((s, i) => {
      if (RUNTIMES[i] === crashing) {
        assert.equal(s.status, 'rejected');
        assert.equal((s.reason as { code?: string }).code, 'RUNNER_CRASHED');
      } else {
        assert.equal(s.status, 'fulfilled');
        assert.equal((s as PromiseFulfilledResult<{ ortVersion: string }>).value.ortVersion, RUNTIMES[i]);
      }
    });
  });

  await test('EP probe per runtime: the CPU works everywhere, an unknown EP says why', async () => {
    for (const version of RUNTIMES) {
      const probes = await probeRuntimeEps(version, ['cpu', 'nosuch']);
      assert.deepEqual(probes[0], { name: 'cpu', available: true, reason: '' });
      assert.equal(probes[1]!.available, false);
      assert.match(
        probes[1]!.reason,
        new RegExp(`'nosuch' is unknown to onnxruntime-node ${version.replace(/\./g, '\\.')}`),
      );
    }
    await assert.rejects(probeRuntimeEps('1.18', ['cpu']), { code: 'RUNTIME_UNAVAILABLE' });
    const [oldest] = listRuntimes();
    assert.deepEqual(await probeRuntimeEps(oldest, ['cpu']), [{ name: 'cpu', available: true, reason: '' }]);
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
