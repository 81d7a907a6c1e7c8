import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DETECTION_MODEL } from './bench-test.fixture.js';
import { parseOrtProfile } from './ort-profile.parser.js';

function kernel(name: string, ts: number, dur: number, args: Record<string, unknown> = {}): unknown {
  return {
    cat: 'Node',
    name: `${name}_kernel_time`,
    ts,
    dur,
    args: { op_name: 'Conv', provider: 'CPUExecutionProvider', ...args },
  };
}
const modelRun = (ts: number, dur: number): unknown => ({
  cat: 'Session',
  name: 'model_run',
  ts,
  dur,
  args: {},
});

await test('per-node medians over runs, shares from those medians', () => {
  const events = [
    modelRun(0, 100),
    kernel('a', 1, 10, { node_index: '1', mem_arena_held: '1000', mem_in_use_peak: '600' }),
    kernel('b', 20, 30, { node_index: '2', op_name: 'Add' }),
    modelRun(200, 100),
    kernel('a', 201, 20, { node_index: '1', mem_arena_held: '3000', mem_in_use_peak: '900' }),
    kernel('b', 230, 50, { node_index: '2', op_name: 'Add' }),
    modelRun(400, 100),
    kernel('a', 401, 30, { node_index: '1' }),
    // b did not run in this run (say, an untaken branch): it counts as 0 there.
    { cat: 'Session', name: 'SequentialExecutor::Execute', ts: 400, dur: 90 },
    'garbage',
  ];
  const p = parseOrtProfile(events);
  assert.equal(p.runs, 3);
  const a = p.ops.find((o) => o.node === 'a')!;
  const b = p.ops.find((o) => o.node === 'b')!;
  assert.equal(a.medianMs, 0.02);
  assert.equal(b.medianMs, 0.03);
  assert.equal(b.opType, 'Add');
  assert.equal(a.share + b.share, 1);
  assert.equal(p.ops[0]!.node, 'b', 'sorted by time, largest first');
  assert.equal(p.arenaPeakBytes, 3000);
  assert.equal(p.arenaInUsePeakBytes, 900);

  const skipped = parseOrtProfile(events, { skipRuns: 1 });
  assert.equal(skipped.runs, 2);
  assert.equal(skipped.ops.find((o) => o.node === 'a')!.medianMs, 0.025);
});

await test('a trace without run markers or memory fields still aggregates', () => {
  const p = parseOrtProfile([
    kernel('', 0, 4, { node_index: 7, provider: undefined }),
    kernel('', 10, 6, { node_index: 7, provider: undefined }),
  ]);
  assert.equal(p.ops.length, 1);
  assert.equal(p.ops[0]!.node, '#7');
  assert.equal(p.ops[0]!.provider, 'unknown');
  assert.equal(p.ops[0]!.medianMs, 0.005);
  assert.equal(p.arenaPeakBytes, undefined);
  assert.deepEqual(parseOrtProfile([]), {
    ops: [],
    opTypes: [],
    arenaPeakBytes: undefined,
    arenaInUsePeakBytes: undefined,
    runs: 0,
  });
});

await test('a real detection-model trace: every node has a provider, shares sum to 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-profile-spec-'));
  try {
    const session = await InferenceSession.create(DETECTION_MODEL, {
      enableProfiling: true,
      profileFilePrefix: join(dir, 'ort'),
      logSeverityLevel: 3,
      intraOpNumThreads: 1,
    });
    const x = new Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]);
    for (let i = 0; i < 3; i++) {
      await session.run({ x });
    }
    await session.release();
    const [file] = await readdir(dir);
    const events = JSON.parse(await readFile(join(dir, file!), 'utf8')) as unknown[];
    const p = parseOrtProfile(events, { skipRuns: 1 });

    assert.equal(p.runs, 2);
    assert.ok(p.ops.length > 100, `${p.ops.length} nodes`);
    for (const op of p.ops) {
      assert.equal(op.provider, 'CPUExecutionProvider', op.node);
      assert.notEqual(op.opType, 'unknown', op.node);
    }
    const sum = p.ops.reduce((acc, o) => acc + o.share, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`);
    const typeSum = p.opTypes.reduce((acc, t) => acc + t.share, 0);
    assert.ok(Math.abs(typeSum - 1) < 1e-9);
    assert.equal(
      p.opTypes.reduce((acc, t) => acc + t.count, 0),
      p.ops.length,
    );
    assert.ok(p.opTypes.some((t) => t.opType === 'Conv'));
    assert.ok(
      p.arenaPeakBytes! > 0 && p.arenaInUsePeakBytes! > 0 && p.arenaInUsePeakBytes! <= p.arenaPeakBytes!,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
