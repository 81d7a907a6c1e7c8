import { createHash } from 'node:crypto';
import { type InferenceSession, type Tensor } from 'onnxruntime-node';
import type { LoadedTensor } from '#onnx';
import { BenchError, errorMessage } from './bench.exception.js';
import { type BenchScenario, type MeasuredInput } from './bench.types.js';
import { type OrtModule } from './ort-runtime.types.js';
import { syntheticTensor } from './synthetic-tensor.util.js';

/** Refuse inputs above this many elements before allocating (a typo like 1x3x6400x6400 would OOM). */
const MAX_ELEMENTS = 2 ** 31 - 1;

export interface InputFeeds {
  feeds: Record<string, Tensor>;
  inputs: MeasuredInput[];
}

type Scenario = Pick<BenchScenario, 'seed' | 'shapes' | 'inputFiles'>;

/** The `Tensor` class of the runtime the child loaded (each onnxruntime-node brings its own). */
export type TensorClass = OrtModule['Tensor'];
type LooseTensorClass = new (type: string, data: unknown, dims: readonly number[]) => Tensor;

/** Builds the feeds once; the timed loop reuses this object so nothing is allocated per run. */
export async function buildInputFeeds(
  metadata: readonly InferenceSession.ValueMetadata[],
  scenario: Scenario,
  TensorCtor: TensorClass,
): Promise<InputFeeds> {
  const makeTensor = TensorCtor as unknown as LooseTensorClass;
  checkNamesExist(metadata, scenario);
  const feeds: Record<string, Tensor> = {};
  const inputs: MeasuredInput[] = [];
  for (const meta of metadata) {
    if (!meta.isTensor) {
      throw new BenchError(
        'INVALID_INPUT',
        `input '${meta.name}' is not a tensor (sequence/map inputs are not supported)`,
      );
    }
    const declared = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
    const file = scenario.inputFiles[meta.name];
    const given = scenario.shapes[meta.name];
    if (file !== undefined) {
      const loaded = await loadFile(meta.name, file);
      checkFileMatches(meta.name, meta.type, declared, loaded, given);
      feeds[meta.name] = fileTensor(makeTensor, meta.name, file, loaded);
      inputs.push({ name: meta.name, dims: [...loaded.dims], elemType: loaded.elemType, source: 'file' });
    } else {
      const dims = resolveDims(meta.name, declared, given);
      const synthetic = syntheticTensor(meta.name, meta.type, dims, scenario.seed);
      feeds[meta.name] = new makeTensor(synthetic.type, synthetic.data, dims);
      inputs.push({ name: meta.name, dims, elemType: meta.type, source: 'synthetic' });
    }
  }
  return { feeds, inputs };
}

function checkNamesExist(metadata: readonly InferenceSession.ValueMetadata[], scenario: Scenario): void {
  const names = new Set(metadata.map((m) => m.name));
  const known = [...names].map((n) => `'${n}'`).join(', ');
  for (const [what, record] of [
    ['shape', scenario.shapes],
    ['input file', scenario.inputFiles],
  ] as const) {
    for (const name of Object.keys(record)) {
      if (!names.has(name)) {
        throw new BenchError(
          'INVALID_INPUT',
          `${what} given for unknown input '${name}'; the model's inputs are ${known}`,
        );
      }
    }
  }
}

/** `declared` holds null for dynamic (negative or symbolic) dimensions. */
export function resolveDims(
  name: string,
  declared: (number | null)[],
  given: number[] | undefined,
): number[] {
  if (given === undefined) {
    if (declared.some((d) => d === null)) {
      throw new BenchError(
        'INVALID_INPUT',
        `input '${name}' has dynamic dimensions ${formatDims(declared)}; give its shape, e.g. --shape ${name}=${exampleDims(declared).join('x')}`,
      );
    }
    return declared as number[];
  }
  if (!Array.isArray(given) || !given.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new BenchError(
      'INVALID_INPUT',
      `shape for input '${name}' must be positive integers, got ${JSON.stringify(given)}`,
    );
  }
  // Metadata shape [] means either a scalar or "rank unknown"; ORT cannot tell us which, so trust the user.
  if (declared.length > 0) {
    if (given.length !== declared.length) {
      throw new BenchError(
        'INVALID_INPUT',
        `shape for input '${name}' has rank ${given.length} but the model declares rank ${declared.length} ${formatDims(declared)}`,
      );
    }
    declared.forEach((d, i) => {
      if (d !== null && d !== given[i]) {
        throw new BenchError(
          'INVALID_INPUT',
          `shape for input '${name}' sets dimension ${i} to ${given[i]} but the model fixes it at ${d} ${formatDims(declared)}`,
        );
      }
    });
  }
  if (given.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) {
    throw new BenchError('INVALID_INPUT', `shape for input '${name}' [${given.join(',')}] is too large`);
  }
  return [...given];
}

async function loadFile(name: string, path: string): Promise<LoadedTensor> {
  // Loaded lazily: only scenarios with input files pay for the tensor-file reader.
  const onnx = await import('#onnx');
  try {
    return await onnx.readTensorFile(path);
  } catch (err) {
    if (err instanceof onnx.TensorFileError) {
      throw new BenchError('INVALID_INPUT', `input '${name}': ${err.message}`, { cause: err });
    }
    throw new BenchError(
      'INVALID_INPUT',
      `input '${name}' file ${path} could not be read: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

function fileTensor(makeTensor: LooseTensorClass, name: string, path: string, loaded: LoadedTensor): Tensor {
  try {
    return new makeTensor(loaded.elemType, loaded.data, loaded.dims);
  } catch (err) {
    throw new BenchError(
      'INVALID_INPUT',
      `input '${name}' file ${path} does not make a tensor: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

function checkFileMatches(
  name: string,
  type: string,
  declared: (number | null)[],
  loaded: LoadedTensor,
  given: number[] | undefined,
): void {
  if (loaded.elemType !== type) {
    throw new BenchError(
      'INVALID_INPUT',
      `input '${name}' expects ${type} but its file holds ${loaded.elemType}`,
    );
  }
  if (
    given !== undefined &&
    (given.length !== loaded.dims.length || given.some((d, i) => d !== loaded.dims[i]))
  ) {
    throw new BenchError(
      'INVALID_INPUT',
      `input '${name}': --shape [${given.join(',')}] disagrees with its file [${loaded.dims.join(',')}]`,
    );
  }
  if (declared.length > 0) {
    resolveDims(name, declared, loaded.dims);
  }
}

function formatDims(declared: (number | null)[]): string {
  return `[${declared.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function exampleDims(declared: (number | null)[]): number[] {
  // Batch 1; an NCHW image-looking input gets 640x640, anything else a small placeholder.
  const image = declared.length === 4 && (declared[1] === 1 || declared[1] === 3);
  return declared.map((d, i) => d ?? (i === 0 ? 1 : image ? 640 : 16));
}

/**
 * sha256 over every feed (name, type, dims and raw bytes, in name order): equal digests mean the model
 * saw bit-identical inputs, which is what makes a fidelity comparison across runtimes meaningful.
 */
export function feedsDigest(feeds: Record<string, Tensor>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(feeds).sort()) {
    const t = feeds[name]!;
    hash.update(`${name}\0${t.type}\0${t.dims.join('x')}\0`);
    const data: unknown = t.data;
    if (ArrayBuffer.isView(data)) {
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      hash.update(JSON.stringify(data));
    }
  }
  return hash.digest('hex');
}
