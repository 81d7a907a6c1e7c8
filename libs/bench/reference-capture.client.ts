import { BenchError } from './bench.exception.js';
import { type ReferenceCapture, type RunnerTask } from './bench.types.js';
import { forkRunner, pinRuntime, type RunInChildOptions } from './child-runner.client.js';

/**
 * Runs the task's model once, in a fresh runner child with the task's runtime, on exactly the feeds
 * `measure` builds for the same scenario (seeded synthetic or input files), and writes the outputs to
 * `outPath` (see reference-outputs.codec for the format). Pass the file as `task.reference` to measure
 * another runtime, EP or variant against it.
 */
export async function captureReferenceOutputs(
  task: RunnerTask,
  outPath: string,
  opts: Omit<RunInChildOptions, 'onProgress'> = {},
): Promise<ReferenceCapture> {
  const reply = await forkRunner({ type: 'capture', task: pinRuntime(task), outPath }, opts);
  if (reply.type !== 'captured') {
    throw new BenchError('RUN_FAILED', `runner answered ${reply.type} to a capture`);
  }
  return reply.capture;
}
