import { access } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { type InferenceSession, type Tensor } from 'onnxruntime-node';
import { BenchError, errorMessage } from './bench.exception.js';
import { type BenchScenario } from './bench.types.js';
import { type OrtModule } from './ort-runtime.types.js';

/** ORT's warnings-and-above only: its info logs would flood the runner's stderr tail. */
const LOG_SEVERITY_ERROR = 3;

/** Messages ORT gives for a model it cannot parse or validate, whatever the EP. */
const MODEL_ERROR_PATTERN =
  /Load model|Protobuf parsing|INVALID_PROTOBUF|INVALID_GRAPH|NO_MODEL|ModelProto|opset|Unsupported model IR|No such file/i;

/** The version the loaded native binding reports. */
export function ortVersion(ort: OrtModule): string {
  return ort.env.versions.node ?? ort.env.versions.common;
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
  ort: OrtModule,
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
  checkBackendKnown(ort, ep);
  try {
    return await ort.InferenceSession.create(modelPath, options);
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

export function checkBackendKnown(ort: OrtModule, ep: string): void {
  const backends = ort.listSupportedBackends();
  if (!backends.some((b) => b.name === ep)) {
    const known = backends.map((b) => b.name).join(', ');
    throw new BenchError(
      'EP_UNAVAILABLE',
      `execution provider '${ep}' is unknown to onnxruntime-node ${ortVersion(ort)} (known: ${known})`,
    );
  }
}

/**
 * The session's input metadata. onnxruntime-node before 1.21 has no `inputMetadata` (only names), so
 * there the types and shapes come from the model file itself, read with '#onnx'; both describe the same
 * graph inputs, so the seeded feeds come out bit-identical on every runtime. Call it before
 * `createSession` when `needsModelFileMetadata` says so: the parse then peaks before the session's
 * own load peak instead of adding to it in the child's peak RSS.
 */
export function needsModelFileMetadata(ort: OrtModule): boolean {
  const proto = (ort.InferenceSession as unknown as { prototype?: object }).prototype;
  return proto === undefined || !('inputMetadata' in proto);
}

export async function modelFileInputMetadata(modelPath: string): Promise<InferenceSession.ValueMetadata[]> {
  const onnx = await import('#onnx');
  const model = onnx.readOnnxModel(await readFile(modelPath));
  const graph = model.graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  return (graph?.input ?? [])
    .filter((v) => !initializers.has(v.name ?? ''))
    .map((value): InferenceSession.ValueMetadata => {
      const info = onnx.tensorInfo(value);
      const isTensor = !['sequence', 'map', 'optional'].includes(info.elemType);
      return isTensor
        ? {
            name: info.name,
            isTensor: true,
            type: info.elemType as Tensor.Type,
            shape: info.dims.map((d) => d ?? -1),
          }
        : { name: info.name, isTensor: false };
    });
}

export async function inputMetadataOf(
  session: InferenceSession,
  modelPath: string,
  fromFile: readonly InferenceSession.ValueMetadata[] | undefined,
): Promise<readonly InferenceSession.ValueMetadata[]> {
  // Typed as always present, but undefined on the old releases `needsModelFileMetadata` detects.
  const own = session.inputMetadata as readonly InferenceSession.ValueMetadata[] | undefined;
  if (fromFile === undefined && own !== undefined) {
    return own;
  }
  if (fromFile === undefined) {
    try {
      fromFile = await modelFileInputMetadata(modelPath);
    } catch (err) {
      throw new BenchError(
        'MODEL_LOAD_FAILED',
        `cannot read the inputs of ${modelPath} (this runtime does not report them): ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }
  // The session's names are authoritative (they exclude graph inputs that have an initializer).
  const byName = new Map(fromFile.map((m) => [m.name, m]));
  return session.inputNames.map((name) => byName.get(name) ?? { name, isTensor: false as const });
}
