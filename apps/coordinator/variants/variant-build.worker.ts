// Runs in a worker thread: k-means over millions of weights would otherwise stall the coordinator's
// event loop (gRPC streams, heartbeats) for seconds.
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { compressModel, parseRecipe } from '#compression';
import type { VariantBuildReply, VariantBuildRequest } from './variant-build.types.js';

const request = workerData as VariantBuildRequest;

async function build(): Promise<VariantBuildReply> {
  try {
    const source = await readFile(request.modelPath);
    const { bytes, report } = compressModel(source, parseRecipe(request.recipeText, request.recipeName));
    return { ok: true, bytes, report };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

void build().then((reply) =>
  parentPort?.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []),
);
