import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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

/** How often the runner's resident memory is compared with its limit. */
const RSS_POLL_MS = 100;
// What ONNX Runtime, the C++ runtime and V8 print or throw when an allocation is refused.
const ALLOCATION_FAILED =
  /bad_alloc|bad allocation|Failed to allocate|out of memory|Allocation failed|Cannot allocate memory/i;

export interface RunInChildOptions {
  onProgress?: (p: BenchProgress) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * The runner's memory limit, enforced twice: as its data-segment rlimit (RLIMIT_DATA, set by `ulimit -d`
   * in the shell that execs it), so a huge allocation is refused at once instead of pushing the machine
   * into swap or the kernel's OOM killer; and by a watchdog on its resident set (Linux /proc), for memory
   * the rlimit does not count. Either way the task fails with OUT_OF_MEMORY. Undefined: no limit.
   */
  memoryLimitBytes?: number;
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
  const { onProgress, signal, timeoutMs, memoryLimitBytes } = opts;
  const limited = memoryLimitBytes !== undefined && memoryLimitBytes > 0 && process.platform !== 'win32';
  if (signal?.aborted) {
    return Promise.reject(new BenchError('CANCELLED', 'benchmark cancelled before it started'));
  }
  return new Promise((resolve, reject) => {
    // execArgv [] so the parent's flags (--test, inspectors, loaders) do not leak into the runner.
    const child = fork(CHILD_PATH, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      ...(limited
        ? {
            // sh -c 'ulimit -d KiB && exec "$0" "$@"' node runner-child.js: the same process, now limited.
            execPath: '/bin/sh',
            execArgv: [
              '-c',
              `ulimit -d ${Math.ceil(memoryLimitBytes / 1024)} && exec "$0" "$@"`,
              process.execPath,
            ],
          }
        : { execArgv: [] }),
    });
    let tail = '';
    const keepTail = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keepTail);
    child.stderr?.on('data', keepTail);

    let reply: RunnerReply | undefined;
    let killedFor: 'timeout' | 'cancel' | 'memory' | undefined;
    let peakSeen = 0;
    let spawnError: Error | undefined;
    const kill = (why: 'timeout' | 'cancel' | 'memory'): void => {
      if (reply === undefined && killedFor === undefined) {
        killedFor = why;
        child.kill('SIGKILL');
      }
    };
    const timer = timeoutMs !== undefined ? setTimeout(() => kill('timeout'), timeoutMs) : undefined;
    const watchdog =
      limited && child.pid !== undefined && process.platform === 'linux'
        ? setInterval(() => {
            void residentBytes(child.pid!).then((rss) => {
              peakSeen = Math.max(peakSeen, rss);
              if (rss > memoryLimitBytes) {
                kill('memory');
              }
            });
          }, RSS_POLL_MS)
        : undefined;
    watchdog?.unref();
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
      clearInterval(watchdog);
      signal?.removeEventListener('abort', onAbort);
      const limitText = limited ? `${(memoryLimitBytes / 2 ** 20).toFixed(0)} MiB` : '';
      if (reply?.type === 'error') {
        if (limited && ALLOCATION_FAILED.test(reply.message)) {
          reject(
            new BenchError(
              'OUT_OF_MEMORY',
              `out of memory: the runner's memory limit is ${limitText}; ${reply.message}`,
            ),
          );
          return;
        }
        reject(new BenchError(isBenchErrorCode(reply.code) ? reply.code : 'RUN_FAILED', reply.message));
      } else if (killedFor === 'memory') {
        reject(
          new BenchError(
            'OUT_OF_MEMORY',
            `out of memory: the runner's resident memory reached ${(peakSeen / 2 ** 20).toFixed(0)} MiB, ` +
              `over its limit of ${limitText}; runner killed${lastLines(tail)}`,
          ),
        );
      } else if (reply !== undefined && reply.type !== 'progress') {
        resolve(reply);
      } else if (killedFor === 'timeout') {
        reject(new BenchError('TIMEOUT', `runner exceeded ${timeoutMs} ms and was killed${lastLines(tail)}`));
      } else if (killedFor === 'cancel') {
        reject(new BenchError('CANCELLED', 'benchmark cancelled; runner killed'));
      } else if (limited && reply === undefined && ALLOCATION_FAILED.test(tail)) {
        const how = exitSignal !== null ? `with signal ${exitSignal}` : `with code ${code}`;
        reject(
          new BenchError(
            'OUT_OF_MEMORY',
            `out of memory: the runner exited ${how} after an allocation over its limit of ${limitText} ` +
              `was refused${lastLines(tail)}`,
          ),
        );
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

/** VmRSS of a process, 0 once it is gone. */
async function residentBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kib ? Number(kib[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split('\n').slice(-TAIL_LINES);
  return lines.length > 0 && lines[0] !== ''
    ? `\n--- runner output (last lines) ---\n${lines.join('\n')}`
    : '';
}
