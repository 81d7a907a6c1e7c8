import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { bundledModelPath } from '#common';
import { encodeNpy } from '#onnx';
import { type ResultJson } from '#report';
import {
  type CliResult,
  assertResultContract,
  assertUsageError,
  runCli,
  tableRows,
} from '../support/cli-process.js';

/**
 * `mlfarm bench`, the embedded default: coordinator and agent in the CLI process, same gRPC path as a
 * farm. Runs the real PaddleOCR detector at a small shape so each bench stays around a second or two.
 */

const DET = bundledModelPath('det');
const DET_NAME = basename(DET);
const FAST = ['-n', '5', '--warmup', '1', '--profile-iterations', '3'];
const SHAPE = ['--shape', 'x=1x3x96x96'];

function describeRun(what: string, result: CliResult): string {
  return `${what}: exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

await test('mlfarm bench, the embedded default', { timeout: 180_000 }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'mlfarm-cli-bench-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const modelSize = (await stat(DET)).size;
  const dataDir = join(tmp, 'data');

  await t.test('measures the detector and prints the latency and top-operations tables', async () => {
    const jsonPath = join(tmp, 'r.json');
    const result = await runCli(
      ['bench', DET, ...SHAPE, ...FAST, '--data-dir', dataDir, '--json', jsonPath],
      { cwd: tmp },
    );
    assert.equal(result.code, 0, describeRun('mlfarm bench', result));

    const latency = tableRows(result.stdout, 'model');
    assert.equal(latency.length, 1, `one latency row:\n${result.stdout}`);
    assert.ok('median ms' in latency[0]!, `the latency table has a 'median ms' column:\n${result.stdout}`);
    assert.equal(latency[0].model, DET_NAME);
    assert.equal(latency[0].ep, 'cpu');
    assert.equal(latency[0].n, '5');

    const topAt = result.stdout.indexOf('Top operations');
    assert.ok(topAt >= 0, `a 'Top operations' table:\n${result.stdout}`);
    const topOps = tableRows(result.stdout.slice(topAt), 'node');
    assert.ok(topOps.length > 0, `rows under 'Top operations':\n${result.stdout}`);
    for (const row of topOps) {
      assert.equal(row.provider, 'CPUExecutionProvider', `provider of ${row.node}`);
    }

    const json = JSON.parse(await readFile(jsonPath, 'utf8')) as ResultJson;
    assert.equal(json.run.state, 'succeeded');
    assert.deepEqual(json.failures, []);
    assert.equal(json.results.length, 1);
    const r = json.results[0]!;
    assertResultContract(r, { model: DET_NAME, sizeBytes: modelSize, samples: 5 });
    assert.equal(r.agent.name, 'embedded');
    assert.deepEqual(r.inputs, [
      { name: 'x', dims: [1, 3, 96, 96], elemType: 'float32', source: 'synthetic' },
    ]);
    // The top-operations table is the slowest nodes of the JSON's ops, named the same way.
    const jsonNodes = new Set(r.ops.map((o) => o.node));
    assert.ok(
      topOps.every((row) => jsonNodes.has(row.node!)),
      'table rows are nodes of the JSON',
    );
  });

  await t.test('bad input ends with exit code 2', async (tt) => {
    const notOnnx = join(tmp, 'readme.onnx');
    await writeFile(notOnnx, '# not a model\n');
    const cases: { name: string; args: string[]; mentions?: RegExp }[] = [
      {
        name: 'a text file named .onnx',
        args: [notOnnx, ...SHAPE],
        mentions: /readme\.onnx.*not an ONNX model/i,
      },
      { name: 'a dynamic input without --shape', args: [DET], mentions: /'x'.*dynamic.*--shape/ },
      {
        name: '--ep webgpu, which this machine cannot run',
        args: [DET, ...SHAPE, '--ep', 'webgpu'],
        mentions: /webgpu/i,
      },
      { name: 'a bad --shape (commander reports it)', args: [DET, '--shape', 'x=1xfoo'] },
      { name: 'an unknown option (commander reports it)', args: [DET, ...SHAPE, '--no-such-option'] },
    ];
    // Independent processes, each with its own data dir: run them side by side, then check each.
    const running = cases.map((c, i) =>
      runCli(['bench', ...c.args, ...FAST, '--data-dir', join(tmp, `bad-${i}`)], { cwd: tmp }),
    );
    for (const p of running) {
      void p.catch(() => undefined);
    }
    for (const [i, c] of cases.entries()) {
      await tt.test(c.name, async () => {
        const result = await running[i]!;
        if (c.mentions) {
          assertUsageError(result, c.mentions, `mlfarm bench with ${c.name}`);
        } else {
          assert.equal(result.code, 2, describeRun(`mlfarm bench with ${c.name}`, result));
          assert.equal(result.stdout, '', 'nothing on stdout');
        }
      });
    }
  });

  await t.test('--input x=file.npy feeds the model from a file instead of synthetic data', async () => {
    const dims = [1, 3, 96, 96];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      data[i] = ((i * 7919) % 256) / 255;
    }
    const npyPath = join(tmp, 'x.npy');
    await writeFile(npyPath, encodeNpy({ elemType: 'float32', dims, data }));
    const jsonPath = join(tmp, 'npy.json');
    // Same data dir as the first bench: a second bench on an existing store works too.
    const result = await runCli(
      ['bench', DET, '--input', `x=${npyPath}`, ...FAST, '--data-dir', dataDir, '--json', jsonPath],
      { cwd: tmp },
    );
    assert.equal(result.code, 0, describeRun('mlfarm bench --input', result));
    const json = JSON.parse(await readFile(jsonPath, 'utf8')) as ResultJson;
    assert.equal(json.run.state, 'succeeded');
    assert.equal(json.results.length, 1);
    const r = json.results[0]!;
    assertResultContract(r, { model: DET_NAME, sizeBytes: modelSize, samples: 5 });
    assert.equal(r.inputs.length, 1);
    assert.equal(r.inputs[0]!.name, 'x');
    assert.equal(r.inputs[0]!.source, 'file');
    assert.deepEqual(r.inputs[0]!.dims, dims);
    assert.equal(r.inputs[0]!.elemType, 'float32');
  });
});
