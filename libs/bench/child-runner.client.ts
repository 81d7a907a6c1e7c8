import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchError, isBenchErrorCode } from './bench.exception.js';
import { type BenchProgress, type MeasurementResult, type RunnerTask } from './bench.types.js';
import { type RunnerFinalReply, type RunnerReply, type RunnerRequest } from './runner-ipc.types.js';
import { resolveRuntime } from './runtime-registry.util.js';

const CHILD_PATH = fileURLToPath(new URL('./runner-child.js', import.meta.url));
const TAIL_BYTES = 8192;
// Node's abort report puts ~20 lines of stack after the message that explains the crash.
const TAIL_LINES = 40;
/** A child that replied but does not exit within this is killed; the reply still counts. */
const EXIT_GRACE_MS = 5000;

export interface RunInChildOptions {
  onProgress?: (p: BenchProgress) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Runs `measure` in a fresh child process: a native crash in ONNX Runtime fails this task only, and
 * the child's peak RSS is the model's footprint rather than the agent's. The child loads the runtime
 * `task.runtime` names (default: the plain onnxruntime-node); one it lacks is RUNTIME_UNAVAILABLE
 * before any process starts.
 */
export async function runInChildProcess(
  task: RunnerTask,
  opts: RunInChildOptions = {},
): Promise<MeasurementResult> {
  const reply = await forkRunner({ type: 'task', task: pinRuntime(task) }, opts);
  if (reply.type !== 'result') {
    throw new BenchError('RUN_FAILED', `runner answered ${reply.type} to a measurement`);
  }
  return reply.result;
}

/** The task with its runtime resolved to a package name here, so a missing one fails fast, unforked. */
export function pinRuntime(task: RunnerTask): RunnerTask {
  return { ...task, runtime: resolveRuntime(task.runtime).packageName };
}

/** One request in one fresh runner child; resolves with its final reply, rejects with a BenchError. */
export function forkRunner(request: RunnerRequest, opts: RunInChildOptions = {}): Promise<RunnerFinalReply> {
  const { onProgress, signal, timeoutMs } = opts;
  if (signal?.aborted) {
    return Promise.reject(new BenchError('CANCELLED', 'benchmark cancelled before it started'));
  }
  return new Promise((resolve, reject) => {
    // execArgv [] so the parent's flags (--test, inspectors, loaders) do not leak into the runner.
    const child = fork(CHILD_PATH, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      serialization: 'json',
    });
    let tail = '';
    const keepTail = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keepTail);
    child.stderr?.on('data', keepTail);

    let reply: RunnerReply | undefined;
    let killedFor: 'timeout' | 'cancel' | undefined;
    let spawnError: Error | undefined;
    const kill = (why: 'timeout' | 'cancel'): void => {
      if (reply === undefined && killedFor === undefined) {
        killedFor = why;
        child.kill('SIGKILL');
      }
    };
    const timer = timeoutMs !== undefined ? setTimeout(() => kill('timeout'), timeoutMs) : undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => kill('cancel');
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: RunnerReply) => {
      if (message.type === 'progress') {
        onProgress?.(message.progress);
        return;
      }
      reply = message;
      graceTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
    });
    child.on('error', (err) => {
      spawnError ??= err;
    });
    // 'close' (not 'exit') so the stderr tail is complete when we build the error.
    child.on('close', (code, exitSignal) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onAbort);
      if (reply?.type === 'error') {
        reject(new BenchError(isBenchErrorCode(reply.code) ? reply.code : 'RUN_FAILED', reply.message));
      } else if (reply !== undefined && reply.type !== 'progress') {
        resolve(reply);
      } else if (killedFor === 'timeout') {
        reject(new BenchError('TIMEOUT', `runner exceeded ${timeoutMs} ms and was killed${lastLines(tail)}`));
      } else if (killedFor === 'cancel') {
        reject(new BenchError('CANCELLED', 'benchmark cancelled; runner killed'));
      } else {
        const how = exitSignal !== null ? `with signal ${exitSignal}` : `with code ${code}`;
        const hint = exitSignal === 'SIGKILL' ? ' (killed from outside, often the OOM killer)' : '';
        const cause = spawnError ? `: ${spawnError.message}` : '';
        reject(
          new BenchError(
            'RUNNER_CRASHED',
            `runner exited ${how}${hint} without a result${cause}${lastLines(tail)}`,
          ),
        );
      }
    });

    child.send(request, (err) => {
      if (err) {
        spawnError ??= err;
      }
    });
  });
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split('\n').slice(-TAIL_LINES);
  return lines.length > 0 && lines[0] !== ''
    ? `\n--- runner output (last lines) ---\n${lines.join('\n')}`
    : '';
}
