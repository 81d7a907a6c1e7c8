import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { GraphOptimizationLevel } from '#contracts';
import { bundledModelPath, DomainError } from '#common';
import { SuiteError } from './suite.exception.js';
import { parseSuite } from './suite.parser.js';
import {
  resolveSuitePath,
  suiteArtifactPaths,
  suitePaths,
  toModelRefs,
  toRecipes,
  toScenario,
  toTarget,
} from './suite-contract.util.js';
import { DEFAULT_GATE, DEFAULT_POLICIES, DEFAULT_SUITE_SCENARIO } from './suite.types.js';

// Tests run from the repository root (npm test); the example lives in the source tree, not in dist/.
const EXAMPLE = join(process.cwd(), 'libs/suites/examples/ocr-det.suite.yaml');
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

function fails(text: string, expected: { key: string; line: number; message?: string | RegExp }): SuiteError {
  let caught: unknown;
  try {
    parseSuite(text, 'suites/x.yaml');
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SuiteError, `expected a SuiteError, got ${String(caught)}`);
  assert.ok(caught instanceof DomainError);
  assert.equal(caught.key, expected.key, caught.message);
  assert.equal(caught.line, expected.line, caught.message);
  assert.equal(caught.fileName, 'suites/x.yaml');
  assert.ok(!caught.message.includes('\n'), `one line: ${caught.message}`);
  assert.ok(
    caught.message.startsWith(
      `suites/x.yaml:${expected.line}:${caught.column}: ${expected.key || '<root>'}: `,
    ),
  );
  if (typeof expected.message === 'string') {
    assert.equal(caught.message, expected.message);
  } else if (expected.message) {
    assert.match(caught.message, expected.message);
  }
  return caught;
}

const MINIMAL = `suite: tiny
models:
  - name: a
    path: ./a.onnx
`;

await test('the shipped example parses and its paths reach the bundled model and a shipped recipe', () => {
  const spec = parseSuite(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  assert.equal(spec.suite, 'ocr-det');
  const modelPath = resolveSuitePath(EXAMPLE, spec.models[0]!.path!);
  assert.equal(modelPath, bundledModelPath('det'));
  assert.ok(existsSync(modelPath));
  assert.deepEqual(
    spec.recipes.map((r) => r.name),
    ['pal4', 'int8'],
  );
  const recipes = toRecipes(spec, (p) => readFileSync(resolveSuitePath(EXAMPLE, p), 'utf8'));
  assert.match(recipes[0]!.text, /granularity: per_tensor/);
  assert.deepEqual(JSON.parse(recipes[1]!.text), {
    global: { quantize: { dtype: 'int8', granularity: 'per_channel' } },
  });
  assert.equal(spec.policies.loadTime.gate, false);
  assert.equal(spec.policies.loadTime.minEffect, DEFAULT_POLICIES.loadTime.minEffect);
  assert.equal(spec.policies.fidelity.minCosine, 0.95);
  assert.deepEqual(suitePaths(spec), [spec.models[0]!.path, spec.recipes[0]!.file]);
});

await test('a minimal suite is filled with the documented defaults', () => {
  const spec = parseSuite(MINIMAL, 'tiny.yaml');
  assert.deepEqual(spec.policies, DEFAULT_POLICIES);
  assert.deepEqual(spec.gate, DEFAULT_GATE);
  assert.deepEqual(spec.scenario, DEFAULT_SUITE_SCENARIO);
  assert.deepEqual(spec.inputs, { shapes: [], files: [], seed: 0 });
  assert.deepEqual(spec.recipes, []);
  assert.deepEqual(toTarget(spec), {
    labels: [],
    executionProviders: [],
    agents: [],
    anyOneAgent: false,
    runtimes: [],
  });
  assert.deepEqual(spec.locations['models[0].path'], { line: 4, column: 11 });
});

await test('a partial policy keeps the defaults of the keys it leaves out', () => {
  const spec = parseSuite(
    `${MINIMAL}policies:\n  latency: { alpha: 0.05 }\n  size: { gate: false }\n`,
    'x.yaml',
  );
  assert.deepEqual(spec.policies.latency, { ...DEFAULT_POLICIES.latency, alpha: 0.05 });
  assert.deepEqual(spec.policies.size, { gate: false, maxIncrease: DEFAULT_POLICIES.size.maxIncrease });
});

await test('errors name the file, line, column and key path in one line', () => {
  const text = `suite: s
models:
  - name: a
    path: ./a.onnx
  - name: b
    path: 42
`;
  fails(text, {
    key: 'models[1].path',
    line: 6,
    message: 'suites/x.yaml:6:11: models[1].path: must be a relative or absolute file path (got 42)',
  });
});

await test('unknown keys are refused with the allowed ones listed', () => {
  fails(`${MINIMAL}scenario:\n  warmup: 3\n  iteratons: 10\n`, {
    key: 'scenario.iteratons',
    line: 7,
    message: /unknown key; allowed: warmup, iterations, min_duration_ms,/,
  });
  fails(`${MINIMAL}extra: 1\n`, { key: 'extra', line: 5, message: /allowed: suite, models, inputs,/ });
  fails(`${MINIMAL}policies:\n  latency: { max_increase: 0.1 }\n`, {
    key: 'policies.latency.max_increase',
    line: 6,
    message: /allowed: gate, alpha, min_effect, noise_multiplier/,
  });
});

await test('wrong types and out-of-range values name the key', () => {
  fails(`${MINIMAL}scenario: { iterations: -1 }\n`, {
    key: 'scenario.iterations',
    line: 5,
    message: /must be an integer from 0 to 1000000 \(got -1\)/,
  });
  fails(`${MINIMAL}scenario: { iterations: 0 }\n`, {
    key: 'scenario.iterations',
    line: 5,
    message: /min_duration_ms/,
  });
  fails(`${MINIMAL}scenario: { profile: "yes" }\n`, {
    key: 'scenario.profile',
    line: 5,
    message: /true or false/,
  });
  fails(`${MINIMAL}scenario: { graph_optimization: max }\n`, {
    key: 'scenario.graph_optimization',
    line: 5,
    message: /one of default, disabled, basic, extended, all/,
  });
  fails(`${MINIMAL}policies:\n  latency: { alpha: 0.5 }\n`, { key: 'policies.latency.alpha', line: 6 });
  fails(`${MINIMAL}gate: { min_rounds: 10, max_rounds: 8 }\n`, {
    key: 'gate.max_rounds',
    line: 5,
    message: /at least min_rounds \(10\)/,
  });
  fails(`suite: Bad_Name\nmodels: [{ name: a, path: a.onnx }]\n`, { key: 'suite', line: 1 });
  fails(`models: [{ name: a, path: a.onnx }]\n`, { key: 'suite', line: 1, message: /is required/ });
  fails(`suite: s\nmodels: []\n`, { key: 'models', line: 2, message: /1 to 64 models \(got 0\)/ });
  fails(`suite: s\nmodels:\n  - a.onnx\n`, {
    key: 'models[0]',
    line: 3,
    message: /must be a mapping \(got "a.onnx"\)/,
  });
});

await test('target runtimes must be quoted strings, since YAML reads 1.20 as 1.2', () => {
  fails(`${MINIMAL}target:\n  runtimes: [1.20]\n`, {
    key: 'target.runtimes[0]',
    line: 6,
    message: /quote it.*\(got 1\.2\)/,
  });
  const spec = parseSuite(
    `${MINIMAL}target:\n  runtimes: ["1.20", "1.22.0"]\n  labels: { pool: ci }\n  agents: [agent-1]\n`,
    'x.yaml',
  );
  assert.deepEqual(toTarget(spec).runtimes, ['1.20', '1.22.0']);
  assert.deepEqual(toTarget(spec).labels, [{ key: 'pool', value: 'ci' }]);
  fails(`${MINIMAL}target:\n  labels: { "bad key": x }\n`, { key: 'target.labels.bad key', line: 6 });
  fails(`${MINIMAL}target:\n  execution_providers: [cpu, cpu]\n`, {
    key: 'target.execution_providers[1]',
    line: 6,
    message: /listed twice/,
  });
});

await test('model and recipe names are unique and each model gives exactly one of path or sha256', () => {
  fails(`suite: s\nmodels:\n  - { name: a, path: a.onnx }\n  - { name: a, path: b.onnx }\n`, {
    key: 'models[1].name',
    line: 4,
    message: /'a' is used twice/,
  });
  fails(`suite: s\nmodels:\n  - name: a\n    path: a.onnx\n    sha256: ${SHA_A}\n`, {
    key: 'models[0]',
    line: 3,
    message: /exactly one of path or sha256/,
  });
  fails(`suite: s\nmodels:\n  - name: a\n`, {
    key: 'models[0]',
    line: 3,
    message: /exactly one of path or sha256/,
  });
  fails(`suite: s\nmodels:\n  - name: a\n    sha256: abc\n`, {
    key: 'models[0].sha256',
    line: 4,
    message: /64 hex digits \(got "abc"\)/,
  });
  const spec = parseSuite(`suite: s\nmodels:\n  - name: a\n    sha256: ${SHA_A.toUpperCase()}\n`, 'x.yaml');
  assert.equal(spec.models[0]!.sha256, SHA_A);
  fails(`${MINIMAL}recipes:\n  - { name: r, file: r.yaml }\n  - { name: r, file: s.yaml }\n`, {
    key: 'recipes[1].name',
    line: 7,
    message: /used twice/,
  });
  fails(`${MINIMAL}recipes:\n  - { name: original, file: r.yaml }\n`, { key: 'recipes[0].name', line: 6 });
  fails(`${MINIMAL}recipes:\n  - { name: r }\n`, {
    key: 'recipes[0]',
    line: 6,
    message: /exactly one of file or spec/,
  });
});

await test('duplicate YAML keys are refused with their path', () => {
  fails(`${MINIMAL}scenario:\n  warmup: 1\n  warmup: 2\n`, {
    key: 'scenario.warmup',
    line: 7,
    message: /given twice/,
  });
});

await test('YAML syntax errors carry the line and the nearest key', () => {
  // An unclosed flow list: the parser notices on the next line, inside the list.
  assert.throws(
    () => parseSuite(`${MINIMAL}scenario:\n  warmup: [1, 2\n  iterations: 3\n`, 'suites/x.yaml'),
    (error: unknown) =>
      error instanceof SuiteError &&
      error.line === 7 &&
      error.key.startsWith('scenario.') &&
      /^suites\/x\.yaml:7:3: scenario\..*: not valid YAML: Flow sequence/.test(error.message),
  );
  fails(`suite: s\n\tmodels: []\n`, { key: '', line: 2, message: /not valid YAML/ });
});

await test('shapes accept 1x3x96x96, lists and single integers, and nothing else', () => {
  const spec = parseSuite(
    `${MINIMAL}inputs:\n  shapes: { x: 1x3x96x96, y: [2, 4], z: 7, "w:0": "1,3" }\n`,
    'x.yaml',
  );
  assert.deepEqual(spec.inputs.shapes, [
    { input: 'x', dims: [1, 3, 96, 96] },
    { input: 'y', dims: [2, 4] },
    { input: 'z', dims: [7] },
    { input: 'w:0', dims: [1, 3] },
  ]);
  fails(`${MINIMAL}inputs:\n  shapes: { x: 1x3x0x96 }\n`, {
    key: 'inputs.shapes.x',
    line: 6,
    message: /positive integers/,
  });
  fails(`${MINIMAL}inputs:\n  shapes:\n    x: 1xNx96\n`, { key: 'inputs.shapes.x', line: 7 });
  fails(`${MINIMAL}inputs:\n  shapes:\n    x: [1, -3]\n`, { key: 'inputs.shapes.x', line: 7 });
  fails(`${MINIMAL}inputs:\n  files: { x: ./x.bin }\n`, {
    key: 'inputs.files.x',
    line: 6,
    message: /\.npy or TensorProto \.pb/,
  });
});

await test('aliases, alias bombs, merge keys and custom tags are refused without expanding anything', () => {
  const lol = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...Array.from({ length: 8 }, (_, i) => {
      const me = String.fromCharCode(98 + i);
      const prev = String.fromCharCode(97 + i);
      return `${me}: &${me} [${Array(9).fill(`*${prev}`).join(',')}]`;
    }),
  ].join('\n');
  const started = Date.now();
  fails(`${MINIMAL}${lol}\n`, { key: 'a', line: 5, message: /unknown key/ });
  fails(`suite: &n s\nmodels:\n  - name: *n\n    path: a.onnx\n`, {
    key: 'models[0].name',
    line: 3,
    message: /aliases \(\*n\) are not allowed/,
  });
  fails(`${MINIMAL}policies:\n  latency: &p { alpha: 0.05 }\n  load_time: *p\n`, {
    key: 'policies.load_time',
    line: 7,
    message: /aliases/,
  });
  fails(`${MINIMAL}scenario:\n  <<: { warmup: 1 }\n`, {
    key: 'scenario.<<',
    line: 6,
    message: /unknown key/,
  });
  fails(`suite: !!js/function "x"\nmodels: [{ name: a, path: a.onnx }]\n`, {
    key: 'suite',
    line: 1,
    message: /explicit tags/,
  });
  fails(`${MINIMAL}inputs:\n  seed: !!binary aGVsbG8=\n`, {
    key: 'inputs.seed',
    line: 6,
    message: /explicit tags/,
  });
  assert.ok(Date.now() - started < 2000);
});

await test('deep flow nesting is refused from the token stream, quickly and at its line', () => {
  const started = Date.now();
  const error = fails(`suite: s\nmodels: ${'['.repeat(400_000)}${']'.repeat(400_000)}\n`, {
    key: '',
    line: 2,
    message: /flow collections nested deeper than 32 levels/,
  });
  assert.equal(error.column, 9 + 32);
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  // 32 levels are fine as far as nesting goes (the value is still not a model list).
  fails(`suite: s\nmodels: ${'['.repeat(32)}${']'.repeat(32)}\n`, {
    key: 'models[0]',
    line: 2,
    message: /mapping/,
  });
});

await test('a file over 1 MiB is refused before parsing', () => {
  fails(`${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`, { key: '', line: 1, message: /at most 1048576/ });
});

await test('inline recipe errors point at the nested recipe key', () => {
  const text = `${MINIMAL}recipes:
  - name: p
    spec:
      global:
        palettize:
          nbits: 5
`;
  fails(text, {
    key: 'recipes[0].spec.global.palettize.nbits',
    line: 10,
    message: /:10:18: recipes\[0\]\.spec\.global\.palettize\.nbits: must be one of .* \(got 5\)$/,
  });
});

await test('toRecipes reports a bad recipe file against the suite line that names it', () => {
  const spec = parseSuite(`${MINIMAL}recipes:\n  - name: r\n    file: ./r.yaml\n`, 'suites/x.yaml');
  assert.throws(
    () => toRecipes(spec, () => 'global: { palettize: { nbits: 5 } }'),
    (error: unknown) =>
      error instanceof SuiteError &&
      error.key === 'recipes[0].file' &&
      error.line === 7 &&
      /\.\/r\.yaml: global\.palettize\.nbits: must be one of/.test(error.message),
  );
  assert.throws(
    () =>
      toRecipes(spec, () => {
        throw new Error('ENOENT: no such file');
      }),
    /suites\/x\.yaml:7:11: recipes\[0\]\.file: cannot read \.\/r\.yaml \(ENOENT/,
  );
});

await test('toScenario maps to the contract and resolves input files through the uploads', () => {
  const text = `suite: s
models:
  - { name: a, path: ./a.onnx }
  - { name: b, sha256: ${SHA_B} }
inputs:
  shapes: { x: 1x3x96x96 }
  files: { y: ./y.npy, z: ./a.onnx.pb }
  seed: 7
scenario:
  warmup: 2
  graph_optimization: extended
  profile: false
`;
  const spec = parseSuite(text, 'suites/x.yaml');
  assert.deepEqual(suitePaths(spec), ['./a.onnx', './y.npy', './a.onnx.pb']);
  assert.deepEqual(suiteArtifactPaths(spec), ['./a.onnx', './y.npy', './a.onnx.pb']);
  const uploaded = { './a.onnx': SHA_A, './y.npy': 'c'.repeat(64), './a.onnx.pb': 'd'.repeat(64) };
  assert.deepEqual(toModelRefs(spec, uploaded), [
    { name: 'a', sha256: SHA_A },
    { name: 'b', sha256: SHA_B },
  ]);
  assert.deepEqual(toScenario(spec, uploaded), {
    warmupIterations: 2,
    iterations: 50,
    minDurationMs: 0,
    intraOpThreads: 0,
    interOpThreads: 0,
    graphOptimizationLevel: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_EXTENDED,
    skipProfile: true,
    profileIterations: 10,
    seed: 7,
    shapes: [{ input: 'x', dims: ['1', '3', '96', '96'] }],
    inputFiles: [
      { input: 'y', artifactSha256: 'c'.repeat(64), format: 'npy' },
      { input: 'z', artifactSha256: 'd'.repeat(64), format: 'pb' },
    ],
    timeoutMs: 900_000,
  });
  assert.throws(
    () => toScenario(spec, { './a.onnx': SHA_A }),
    /^SuiteError: suites\/x\.yaml:7:15: inputs\.files\.y: \.\/y\.npy was not uploaded/,
  );
  assert.throws(
    () => toModelRefs(spec, {}),
    /suites\/x\.yaml:3:22: models\[0\]\.path: \.\/a\.onnx was not uploaded/,
  );
  assert.throws(
    () => toModelRefs(spec, JSON.parse('{"__proto__": "x"}') as Record<string, string>),
    /not uploaded/,
  );
});

await test('resolveSuitePath starts relative paths at the suite file folder and keeps absolute ones', () => {
  assert.equal(resolveSuitePath('/repo/suites/a.yaml', './m/x.onnx'), '/repo/suites/m/x.onnx');
  assert.equal(resolveSuitePath('/repo/suites/a.yaml', '../x.onnx'), '/repo/x.onnx');
  assert.equal(resolveSuitePath('/repo/suites/a.yaml', '/abs/x.onnx'), '/abs/x.onnx');
});
