// Entry point of the runner child process (forked by child-runner.client): one request, then exit.
// Nothing imported here loads onnxruntime-node: the request names the runtime, loaded dynamically.
import { BenchError, errorMessage } from './bench.exception.js';
import { type RunnerTask } from './bench.types.js';
import { probeEps } from './ep-probe.service.js';
import { measure } from './measure.service.js';
import { captureOutputs } from './reference-capture.service.js';
import { type RunnerReply, type RunnerRequest } from './runner-ipc.types.js';

function send(reply: RunnerReply, then?: () => void): void {
  process.send?.(reply, undefined, {}, () => then?.());
}

function crashForTest(task: RunnerTask | undefined): void {
  const mode = task?.scenario.__crashForTest;
  if (mode === undefined) {
    return;
  }
  process.stderr.write(`runner: crashing on purpose (${mode}) for a test\n`);
  switch (mode) {
    case 'abort':
      process.abort();
      break;
    case 'exit':
      process.exit(3);
      break;
    case 'hang':
      setInterval(() => {}, 60_000);
      break;
  }
}

async function answer(request: RunnerRequest): Promise<RunnerReply> {
  switch (request.type) {
    case 'task':
      return {
        type: 'result',
        result: await measure(request.task, (progress) => send({ type: 'progress', progress })),
      };
    case 'capture':
      return { type: 'captured', capture: await captureOutputs(request.task, request.outPath) };
    case 'probe':
      return { type: 'probed', eps: await probeEps(request.runtime, request.eps) };
  }
}

async function handle(request: RunnerRequest): Promise<void> {
  try {
    const reply = await answer(request);
    // Disconnecting in the send callback, not exiting, lets the IPC queue flush first.
    send(reply, () => process.disconnect());
  } catch (err) {
    const reply: RunnerReply =
      err instanceof BenchError
        ? { type: 'error', code: err.code, message: err.message }
        : { type: 'error', code: 'RUN_FAILED', message: errorMessage(err) };
    process.exitCode = 1;
    send(reply, () => process.disconnect());
  }
}

if (process.send === undefined) {
  process.stderr.write('runner-child must be started by runInChildProcess (needs an IPC channel)\n');
  process.exit(2);
}

// Ends the child both after its reply (we disconnect) and when the parent dies (its channel goes),
// so an orphan never keeps burning CPU; process.exit() keeps any exitCode set above.
process.once('disconnect', () => setImmediate(() => process.exit()));

process.once('message', (request: RunnerRequest) => {
  const task = request.type === 'probe' ? undefined : request.task;
  crashForTest(task);
  if (task?.scenario.__crashForTest !== 'hang') {
    void handle(request);
  }
});
