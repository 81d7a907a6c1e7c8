import { type BenchScenario } from './bench.types.js';

/** Protocol defaults; callers override what the user set. */
export function defaultScenario(overrides: Partial<BenchScenario> = {}): BenchScenario {
  return {
    warmupIterations: 5,
    iterations: 50,
    minDurationMs: 0,
    profile: true,
    profileIterations: 10,
    seed: 1,
    shapes: {},
    inputFiles: {},
    ...overrides,
  };
}
