import { BUNDLED_SHAPES } from '#common';

/** The scenario every benchmark run asks for (validated by the coordinator against the model). */
export const RUN_SCENARIO = {
  warmupIterations: 10,
  iterations: 50,
  minDurationMs: 0,
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimizationLevel: 0,
  skipProfile: false,
  profileIterations: 10,
  seed: 7,
  shapes: [{ input: BUNDLED_SHAPES.det.input, dims: BUNDLED_SHAPES.det.dims.map(String) }],
  inputFiles: [],
  timeoutMs: 0,
};

/** What the coordinator assigns for one task of RUN_SCENARIO: the bare server sends the same bytes' worth. */
export function assignmentTemplate(modelSha256: string, modelSizeBytes: number): object {
  return {
    attempt: 1,
    runId: 'run_01JBARE000000000000000000',
    modelSha256,
    modelName: 'det.onnx',
    modelSizeBytes: String(modelSizeBytes),
    ep: 'cpu',
    scenario: RUN_SCENARIO,
    runtime: '',
  };
}
