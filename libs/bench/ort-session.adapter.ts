import { access } from 'node:fs/promises';
import { InferenceSession, env, listSupportedBackends } from 'onnxruntime-node';
import { BenchError, errorMessage } from './bench.exception.js';
import { type BenchScenario } from './bench.types.js';

/** ORT's warnings-and-above only: its info logs would flood the runner's stderr tail. */
const LOG_SEVERITY_ERROR = 3;

/** Messages ORT gives for a model it cannot parse or validate, whatever the EP. */
const MODEL_ERROR_PATTERN =
  /Load model|Protobuf parsing|INVALID_PROTOBUF|INVALID_GRAPH|NO_MODEL|ModelProto|opset|Unsupported model IR|No such file/i;

export function ortVersion(): string {
  return env.versions.node ?? env.versions.common;
}

export function sessionOptions(
  ep: string,
  scenario: BenchScenario,
  profileFilePrefix?: string,
): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = {
    executionProviders: [ep],
    logSeverityLevel: LOG_SEVERITY_ERROR,
  };
  if (scenario.intraOpThreads !== undefined) {
    options.intraOpNumThreads = scenario.intraOpThreads;
  }
  if (scenario.interOpThreads !== undefined) {
    options.interOpNumThreads = scenario.interOpThreads;
  }
  if (scenario.graphOptimizationLevel !== undefined) {
    options.graphOptimizationLevel = scenario.graphOptimizationLevel;
  }
  if (profileFilePrefix !== undefined) {
    options.enableProfiling = true;
    options.profileFilePrefix = profileFilePrefix;
  }
  return options;
}

/**
 * Creates a session on exactly the requested EP. ORT never falls back to the CPU here, and neither do
 * we: a failure is either the model (MODEL_LOAD_FAILED) or the EP (EP_UNAVAILABLE), with ORT's message.
 */
export async function createSession(
  modelPath: string,
  ep: string,
  options: InferenceSession.SessionOptions,
): Promise<InferenceSession> {
  try {
    await access(modelPath);
  } catch (err) {
    throw new BenchError(
      'MODEL_LOAD_FAILED',
      `model file ${modelPath} cannot be read: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const backend = listSupportedBackends().find((b) => b.name === ep);
  if (backend === undefined) {
    const known = listSupportedBackends()
      .map((b) => b.name)
      .join(', ');
    throw new BenchError(
      'EP_UNAVAILABLE',
      `execution provider '${ep}' is unknown to onnxruntime-node ${ortVersion()} (known: ${known})`,
    );
  }
  try {
    return await InferenceSession.create(modelPath, options);
  } catch (err) {
    const message = errorMessage(err).trim();
    const isModelError = ep === 'cpu' || MODEL_ERROR_PATTERN.test(message);
    if (isModelError) {
      throw new BenchError('MODEL_LOAD_FAILED', `ONNX Runtime rejected ${modelPath}: ${message}`, {
        cause: err,
      });
    }
    throw new BenchError('EP_UNAVAILABLE', `execution provider '${ep}' is unavailable: ${message}`, {
      cause: err,
    });
  }
}
