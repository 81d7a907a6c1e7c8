import { type InferenceSession, type Tensor } from 'onnxruntime-node';
import { type BenchScenario, type MeasuredInput, type RunnerTask } from './bench.types.js';
import { buildInputFeeds } from './input-feeds.util.js';
import { type LoadedRuntime } from './ort-runtime.types.js';
import {
  createSession,
  inputMetadataOf,
  modelFileInputMetadata,
  needsModelFileMetadata,
  sessionOptions,
} from './ort-session.adapter.js';

export interface TaskSession {
  session: InferenceSession;
  feeds: Record<string, Tensor>;
  inputs: MeasuredInput[];
  loadMs: number;
}

/**
 * Session + feeds for a task, shared by `measure` and the reference capture so both feed the model the
 * same bytes. The session is released on a feed error; otherwise the caller owns it.
 */
export async function openTaskSession(
  runtime: LoadedRuntime,
  task: RunnerTask,
  scenario: BenchScenario = task.scenario,
): Promise<TaskSession> {
  // Before the session exists, so this parse never stacks on the session's load peak (old runtimes only).
  // A file we cannot parse is left for ORT to refuse with its own message.
  const fromFile = needsModelFileMetadata(runtime.ort)
    ? await modelFileInputMetadata(task.modelPath).catch(() => undefined)
    : undefined;
  const t0 = process.hrtime.bigint();
  const session = await createSession(
    runtime.ort,
    task.modelPath,
    task.ep,
    sessionOptions(task.ep, scenario),
  );
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  try {
    const metadata = await inputMetadataOf(session, task.modelPath, fromFile);
    const built = await buildInputFeeds(metadata, scenario, runtime.ort.Tensor);
    return { session, feeds: built.feeds, inputs: built.inputs, loadMs };
  } catch (err) {
    await session.release();
    throw err;
  }
}
