import assert from 'node:assert/strict';
import { readFile, readdir, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BenchError, defaultScenario, runInChildProcess } from '#bench';
import { DomainError, bundledModelPath } from '#common';
import { compressModel, parseRecipe } from '#compression';
import {
  OnnxFormatError,
  TensorFileError,
  buildTinyModel,
  encodeNpy,
  encodeOnnxModel,
  encodeTensorProto,
  modelFacts,
  parseNpy,
  parseTensorProto,
  readOnnxModel,
} from '#onnx';

import { Prng, mutateBytes, mutateText } from '../support/fuzz.util.js';

// Hostile inputs to the libraries (issue 6, part 4): mutated ONNX files, recipes and tensor files, fed to
// the loader, the compressor, the decoders and the runner. Every case must end in a result or in the
// library's own error with a message: never a TypeError, a RangeError or a hang. Deterministic (seeded).

const det = new Uint8Array(await readFile(bundledModelPath('det')));
const tiny = encodeOnnxModel(buildTinyModel());
const counts: Record<string, { cases: number; accepted: number; refused: number }> = {};

/** Runs one case; anything thrown must be one of `expected`, with a message. Returns true if accepted. */
function check(
  kind: string,
  label: string,
  expected: (new (...a: never[]) => Error)[],
  run: () => unknown,
): void {
  const entry = (counts[kind] ??= { cases: 0, accepted: 0, refused: 0 });
  entry.cases += 1;
  try {
    run();
    entry.accepted += 1;
  } catch (error) {
    const ok = expected.some((E) => error instanceof E);
    assert.ok(
      ok,
      `${kind} case ${label}: unexpected ${(error as Error)?.constructor?.name}: ${(error as Error)?.stack}`,
    );
    assert.ok((error as Error).message.length > 0, `${kind} case ${label}: an error without a message`);
    entry.refused += 1;
  }
}

await test('mutated ONNX files: the loader refuses with OnnxFormatError or reads facts', () => {
  const rng = new Prng(0x0bad_5eed);
  for (let i = 0; i < 300; i++) {
    const [base, other] = i % 3 === 0 ? [det, tiny] : [tiny, det];
    const { bytes, how } = mutateBytes(rng, base, other);
    check('onnx loader', `${i} (${how})`, [OnnxFormatError], () => modelFacts(bytes, readOnnxModel(bytes)));
  }
});

await test('mutated ONNX files: the compressor refuses with a domain error or compresses', () => {
  const rng = new Prng(0xc0ffee);
  const recipe = parseRecipe(
    'name: q\nglobal:\n  weight_threshold: 1\n  quantize:\n    mode: linear_symmetric\n    dtype: int8\n',
  );
  for (let i = 0; i < 200; i++) {
    const { bytes, how } = mutateBytes(rng, tiny, det.subarray(0, 4096));
    check('compressor', `${i} (${how})`, [OnnxFormatError, DomainError], () => compressModel(bytes, recipe));
  }
});

await test('mutated recipes (YAML and JSON text): parseRecipe refuses with RecipeError or parses', async () => {
  const dir = new URL('../../../recipes/', import.meta.url);
  const texts: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const text = await readFile(new URL(name, dir), 'utf8');
    texts.push(text, JSON.stringify(parseRecipe(text)));
  }
  const rng = new Prng(0x5eed_0003);
  for (let i = 0; i < 400; i++) {
    let text = rng.pick(texts);
    for (let k = 1 + rng.int(3); k > 0; k--) {
      text = mutateText(rng, text);
    }
    check('recipe', String(i), [DomainError], () => parseRecipe(text, `fuzz-${i}`));
  }
});

await test('mutated tensor files (.npy and TensorProto .pb): the decoders refuse with TensorFileError', () => {
  const rng = new Prng(0x7e_5017);
  const loaded = parseNpy(
    encodeNpy({
      name: 'x',
      elemType: 'float32',
      dims: [2, 3, 4],
      data: Float32Array.from({ length: 24 }, (_, i) => i / 7),
    }),
  );
  const npy = encodeNpy(loaded);
  const pb = encodeTensorProto(loaded);
  const int64 = encodeNpy({
    name: 'i',
    elemType: 'int64',
    dims: [5],
    data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n]),
  });
  for (let i = 0; i < 300; i++) {
    const { bytes, how } = mutateBytes(rng, i % 2 === 0 ? npy : int64, pb);
    check('npy', `${i} (${how})`, [TensorFileError], () => parseNpy(bytes, 'fuzz.npy'));
  }
  for (let i = 0; i < 300; i++) {
    const { bytes, how } = mutateBytes(rng, pb, npy);
    check('tensor pb', `${i} (${how})`, [TensorFileError], () => parseTensorProto(bytes, 'fuzz.pb'));
  }
});

await test('mutated models in the runner child: a BenchError with a message, never a hang', async () => {
  // Bit flips keep most of a model loadable, so these reach ONNX Runtime itself; each is a child process.
  const rng = new Prng(0xdead_0005);
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-fuzz-runner-'));
  const entry = (counts['runner (agent)'] ??= { cases: 0, accepted: 0, refused: 0 });
  try {
    for (let i = 0; i < 12; i++) {
      const { bytes } = mutateBytes(rng, tiny, det);
      const path = join(dir, `m${i}.onnx`);
      await writeFile(path, bytes);
      entry.cases += 1;
      try {
        await runInChildProcess(
          {
            modelPath: path,
            ep: 'cpu',
            scenario: defaultScenario({
              iterations: 2,
              warmupIterations: 0,
              profile: false,
              intraOpThreads: 1,
            }),
          },
          { timeoutMs: 60_000, memoryLimitBytes: 1024 * 2 ** 20 },
        );
        entry.accepted += 1;
      } catch (error) {
        assert.ok(error instanceof BenchError, `runner case ${i}: ${(error as Error).stack}`);
        assert.notEqual(error.code, 'TIMEOUT', `runner case ${i} hung: ${error.message}`);
        assert.ok(error.message.length > 0);
        entry.refused += 1;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

await test('fuzz cases tried per input kind', (t) => {
  const rows = Object.entries(counts).map(
    ([kind, c]) => `${kind}: ${c.cases} cases (${c.accepted} accepted, ${c.refused} refused)`,
  );
  for (const row of rows) {
    t.diagnostic(row);
  }
  process.stdout.write(`# fuzz counts\n${rows.map((r) => `#   ${r}`).join('\n')}\n`);
  assert.ok(Object.values(counts).every((c) => c.cases > 0));
});
