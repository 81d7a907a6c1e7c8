import { readFile } from 'node:fs/promises';
import { type InferenceSession, type Tensor } from 'onnxruntime-node';
import { BenchError, errorMessage } from './bench.exception.js';
import { type Fidelity } from './bench.types.js';
import { computeFidelity } from './fidelity.util.js';
import { feedsDigest } from './input-feeds.util.js';
import { decodeReferenceOutputs, type OutputTensor } from './reference-outputs.codec.js';

/** One run whose outputs are kept (the timed loop drops them). Non-tensor outputs are left out. */
export async function runForOutputs(
  session: InferenceSession,
  feeds: Record<string, Tensor>,
): Promise<OutputTensor[]> {
  let results: InferenceSession.ReturnType;
  try {
    results = await session.run(feeds);
  } catch (err) {
    throw new BenchError('RUN_FAILED', `inference failed: ${errorMessage(err)}`, { cause: err });
  }
  const outputs: OutputTensor[] = [];
  for (const name of session.outputNames) {
    const value = results[name];
    if (value !== undefined && 'dims' in value && 'data' in value) {
      outputs.push({
        name,
        dims: [...value.dims],
        elemType: value.type,
        data: value.data,
      });
    }
  }
  return outputs;
}

/** The fidelity check of `measure`: one more run on the same feeds, compared with the reference file. */
export async function fidelityAgainst(
  outputsPath: string,
  session: InferenceSession,
  feeds: Record<string, Tensor>,
): Promise<Fidelity> {
  let bytes: Buffer;
  try {
    bytes = await readFile(outputsPath);
  } catch (err) {
    throw new BenchError(
      'INVALID_INPUT',
      `reference outputs ${outputsPath} cannot be read: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  const reference = decodeReferenceOutputs(bytes, outputsPath);
  const got = await runForOutputs(session, feeds);
  return {
    ...computeFidelity(reference.outputs, got),
    inputsMatch: reference.header.inputsDigest === feedsDigest(feeds),
    referenceOrtVersion: reference.header.ortVersion,
  };
}
