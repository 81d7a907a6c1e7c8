import { type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Everything the benchmark starts or creates is registered here and undone in reverse order: at the end
 * of a scenario, on an error, and on Ctrl-C or SIGTERM. What cannot wait for async work (the process is
 * exiting) still happens synchronously: children are SIGKILLed and temporary folders removed.
 */
type Undo = () => Promise<void>;

interface Step {
  name: string;
  undo: Undo;
  /** Set once started: whoever asks next (the scenario, a signal, the end) waits for the same run. */
  running?: Promise<void>;
}

const steps: Step[] = [];
const children = new Set<ChildProcess>();
const dirs = new Set<string>();

function run(step: Step): Promise<void> {
  step.running ??= step.undo().then(
    () => {
      steps.splice(steps.indexOf(step), 1);
    },
    (e: unknown) => {
      steps.splice(steps.indexOf(step), 1);
      process.stderr.write(`cleanup ${step.name}: ${e instanceof Error ? e.message : String(e)}\n`);
    },
  );
  return step.running;
}

/** Registers an undo step; the returned function runs it now (once, however often it is called). */
export function onCleanup(name: string, undo: Undo): () => Promise<void> {
  const step: Step = { name, undo };
  steps.push(step);
  return () => run(step);
}

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function trackDir(dir: string): () => void {
  dirs.add(dir);
  return () => {
    dirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Runs every registered step, newest first, and waits for steps others started; failures are reported. */
export async function cleanupAll(): Promise<void> {
  for (const step of [...steps].reverse()) {
    await run(step);
  }
  killEverythingNow();
}

function killEverythingNow(): void {
  for (const child of children) {
    child.kill('SIGKILL');
  }
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  dirs.clear();
}

let interrupted = false;

/** True once Ctrl-C or SIGTERM arrived: the signal handler owns the exit. */
export function wasInterrupted(): boolean {
  return interrupted;
}

export function installSignalHandlers(): void {
  process.on('exit', killEverythingNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) {
        process.stderr.write(`${signal} again: killing children and leaving now\n`);
        process.exit(130);
      }
      interrupted = true;
      process.stderr.write(`\n${signal}: cleaning up (children, databases, temporary folders)...\n`);
      const hardStop = setTimeout(() => process.exit(130), 20_000);
      hardStop.unref();
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
