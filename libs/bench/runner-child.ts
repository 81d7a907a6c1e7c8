// Entry point of the runner child process (forked by runInChildProcess): one task, then exit.
import { BenchError, errorMessage } from './bench.exception.js';
import { type RunnerTask } from './bench.types.js';
import { measure } from './measure.service.js';
import { type RunnerReply, type RunnerTaskMessage } from './runner-ipc.types.js';

function send(reply: RunnerReply, then?: () => void): void {
  process.send?.(reply, undefined, {}, () => then?.());
}

function crashForTest(task: RunnerTask): void {
  const mode = task.scenario.__crashForTest;
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

async function handle(task: RunnerTask): Promise<void> {
  try {
    const result = await measure(task, (progress) => send({ type: 'progress', progress }));
    // Disconnecting in the send callback, not exiting, lets the IPC queue flush first.
    send({ type: 'result', result }, () => process.disconnect());
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

process.once('message', (message: RunnerTaskMessage) => {
  crashForTest(message.task);
  if (message.task.scenario.__crashForTest !== 'hang') {
    void handle(message.task);
  }
});
