import { writeFile } from 'node:fs/promises';
import { errorMessage, BenchError } from './bench.exception.js';
import { type ReferenceCapture, type RunnerTask } from './bench.types.js';
import { feedsDigest } from './input-feeds.util.js';
import { loadRuntime } from './ort-runtime.loader.js';
import { encodeReferenceOutputs } from './reference-outputs.codec.js';
import { openTaskSession } from './task-session.util.js';
import { runForOutputs } from './session-outputs.util.js';

/**
 * In the runner child: one inference with the task's runtime, model and feeds (the same seeded or file
 * inputs `measure` builds for this scenario), written to `outPath` as a reference file.
 */
export async function captureOutputs(task: RunnerTask, outPath: string): Promise<ReferenceCapture> {
  const runtime = await loadRuntime(task.runtime);
  const { session, feeds, inputs } = await openTaskSession(runtime, task);
  try {
    const outputs = await runForOutputs(session, feeds);
    const inputsDigest = feedsDigest(feeds);
    const file = encodeReferenceOutputs({ ortVersion: runtime.version, inputsDigest, inputs }, outputs);
    try {
      await writeFile(outPath, file);
    } catch (err) {
      throw new BenchError(
        'INVALID_INPUT',
        `cannot write reference outputs to ${outPath}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    return {
      outputs: outputs.map(({ name, dims, elemType }) => ({ name, dims, elemType })),
      ortVersion: runtime.version,
      inputs,
      inputsDigest,
    };
  } finally {
    await session.release();
  }
}
