import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GraphOptimizationLevel, type ModelFacts, type Scenario } from '#contracts';
import { DomainError } from '#common';
import {
  SCENARIO_DEFAULTS,
  checkInputNames,
  checkScenarioAgainstModel,
  normalizeScenario,
} from './scenario.validator.js';

const facts = {
  inputs: [{ name: 'x', elemType: 'float32', dims: ['-1', '3', '-1', '-1'], dimParams: ['n', '', 'h', 'w'] }],
} as unknown as ModelFacts;

function scenario(overrides: Partial<Scenario>): Scenario {
  return normalizeScenario({ ...normalizeScenario(undefined), ...overrides });
}

await test('defaults fill zero values', () => {
  const s = normalizeScenario(undefined);
  assert.equal(s.iterations, SCENARIO_DEFAULTS.iterations);
  assert.equal(s.warmupIterations, SCENARIO_DEFAULTS.warmupIterations);
  assert.equal(s.timeoutMs, SCENARIO_DEFAULTS.timeoutMs);
  assert.equal(
    normalizeScenario({ ...s, iterations: 0, minDurationMs: 5000 }).iterations,
    0,
    'duration alone is enough',
  );
});

await test('limits and unknown enum values are refused, naming the field', () => {
  assert.throws(() => scenario({ iterations: 10_000_000 }), /scenario\.iterations=10000000/);
  assert.throws(
    () => scenario({ graphOptimizationLevel: 9 as GraphOptimizationLevel }),
    /graphOptimizationLevel=9/,
  );
  assert.throws(
    () =>
      scenario({
        shapes: [
          { input: 'x', dims: ['1'] },
          { input: 'x', dims: ['2'] },
        ],
      }),
    /given twice/,
  );
});

await test('a dynamic input needs a shape that fits the fixed dimensions', () => {
  assert.throws(
    () => checkScenarioAgainstModel(scenario({}), 'det.onnx', facts),
    (e: unknown) =>
      e instanceof DomainError &&
      /input 'x' of model 'det\.onnx' has dynamic dimensions \[\?,3,\?,\?\]/.test(e.message),
  );
  assert.doesNotThrow(() =>
    checkScenarioAgainstModel(
      scenario({ shapes: [{ input: 'x', dims: ['1', '3', '64', '64'] }] }),
      'det.onnx',
      facts,
    ),
  );
  assert.throws(
    () =>
      checkScenarioAgainstModel(
        scenario({ shapes: [{ input: 'x', dims: ['1', '4', '64', '64'] }] }),
        'det.onnx',
        facts,
      ),
    /conflicts/,
  );
  assert.throws(
    () =>
      checkScenarioAgainstModel(
        scenario({ shapes: [{ input: 'x', dims: ['1', '3', '64'] }] }),
        'det.onnx',
        facts,
      ),
    /rank 3/,
  );
  const fromFile = scenario({ inputFiles: [{ input: 'x', artifactSha256: 'a'.repeat(64), format: 'npy' }] });
  assert.doesNotThrow(() => checkScenarioAgainstModel(fromFile, 'det.onnx', facts), 'a file gives the shape');
});

await test('a shape must name an input of some model of the run', () => {
  assert.throws(
    () =>
      checkInputNames(scenario({ shapes: [{ input: 'image', dims: ['1'] }] }), [{ name: 'det.onnx', facts }]),
    /'image'.*inputs: x/,
  );
});
