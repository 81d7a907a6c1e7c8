import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Socket, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ResultEntry } from '#report';

/**
 * Runs the `mlfarm` CLI as real processes (the same bin/mlfarm.js a user runs), for end-to-end tests.
 * Every process started here is tracked and killed when the test process exits, even after a failure.
 */

function findCliBin(): string {
  // Compiled to dist/test/support/, run from the sources' tree: walk up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bin', 'mlfarm.js');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`bin/mlfarm.js not found above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

/** Absolute path of bin/mlfarm.js. */
export const CLI_BIN = findCliBin();

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    child.kill('SIGKILL');
  }
});

export interface CliOptions {
  cwd?: string;
  /** Added to a copy of this process's environment, from which every MLFARM_* variable is removed. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface CliResult {
  /** Exit code; null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI child: deterministic (no MLFARM_* settings leak in from the shell), no colours. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MLFARM_') && key !== 'FORCE_COLOR') {
      env[key] = value;
    }
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function spawnCli(args: string[], options: CliOptions): ChildProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return child;
}

function tail(text: string, chars = 4000): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/** Runs `mlfarm ...args` to its end. Rejects (after SIGKILL) only when it outlives timeoutMs. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `mlfarm ${args.join(' ')} did not end within ${timeoutMs} ms\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' (not 'exit'): the pipes are drained, so stdout and stderr are complete.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface ServiceOptions extends CliOptions {
  /** Resolves once stdout matches this (the service's "I am up" line). */
  readyPattern: RegExp;
}

export interface CliService {
  proc: ChildProcess;
  /** What readyPattern matched. */
  ready: RegExpMatchArray;
  stdoutSoFar(): string;
  stderrSoFar(): string;
  /** Sends the signal (SIGTERM by default), waits for the exit and returns the exit code (null if a signal ended it). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/**
 * Starts a long-running command (`coordinator`, `agent`) and resolves once its stdout matches readyPattern.
 * If it exits first, or is not ready within timeoutMs, it is killed and the promise rejects with its stderr.
 */
export function startCliService(args: string[], options: ServiceOptions): Promise<CliService> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }
  });
  // Once ready, a service does not by itself keep the test process alive: a test that fails before its
  // cleanup ran still ends, and the 'exit' hook above kills the service. stop() holds the loop again.
  const hold = (held: boolean): void => {
    // The pipes are net.Sockets at run time; Readable is only their declared type.
    for (const handle of [child, child.stdout as Socket | null, child.stderr as Socket | null]) {
      if (held) {
        handle?.ref();
      } else {
        handle?.unref();
      }
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      hold(true);
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return (await exited).code;
  };
  const describe = (why: string): Error =>
    new Error(`mlfarm ${args.join(' ')} ${why}\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`);

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, ready?: RegExpMatchArray): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else {
        hold(false);
        resolve({ proc: child, ready: ready!, stdoutSoFar: () => stdout, stderrSoFar: () => stderr, stop });
      }
    };
    const check = (): void => {
      const match = options.readyPattern.exec(stdout);
      if (match) {
        finish(null, match);
      }
    };
    const timer = setTimeout(
      () => finish(describe(`was not ready (${String(options.readyPattern)}) within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout!.on('data', check);
    child.once('error', (error) => finish(describe(`could not start: ${error.message}`)));
    void exited.then(({ code, signal }) =>
      finish(describe(`exited (code ${String(code)}, signal ${String(signal)}) before it was ready`)),
    );
  });
}

/** A port that was free a moment ago on 127.0.0.1 (bind to :0, read the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until check() returns a value (not undefined), or fails with the last state seen after timeoutMs. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<{ value?: T; state: string }>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let state = '';
  for (;;) {
    const result = await check();
    if (result.value !== undefined) {
      return result.value;
    }
    state = result.state;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms; last seen:\n${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Rows of a plain-text table the CLI prints (header, dashes, rows; columns two or more spaces apart). */
export function tableRows(stdout: string, firstHeader: string): Record<string, string>[] {
  const lines = stdout.split('\n');
  const headerAt = lines.findIndex((l) => l.startsWith(firstHeader));
  if (headerAt < 0) {
    return [];
  }
  // Column starts come from the dashes line: each cell begins where its dashes begin.
  const dashes = lines[headerAt + 1] ?? '';
  const starts: number[] = [];
  for (const m of dashes.matchAll(/-+/g)) {
    starts.push(m.index);
  }
  const cells = (line: string): string[] =>
    starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim());
  const headers = cells(lines[headerAt]!);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(headerAt + 2)) {
    if (line.trim() === '') {
      break;
    }
    const values = cells(line);
    rows.push(Object.fromEntries(headers.map((h, i) => [h, values[i] ?? ''])));
  }
  return rows;
}

/** Asserts the one-line error contract: exit code 2, exactly one stderr line, starting with 'mlfarm:'. */
export function assertUsageError(result: CliResult, mentions: RegExp, what: string): void {
  const context = `${what}\nstdout: ${tail(result.stdout)}\nstderr: ${tail(result.stderr)}`;
  assert.equal(result.code, 2, `exit code of ${context}`);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `exactly one stderr line for ${context}`);
  assert.match(lines[0]!, /^mlfarm: /, context);
  assert.match(lines[0]!, mentions, context);
}

function finite(value: unknown, name: string): number {
  assert.equal(typeof value, 'number', `${name} is a number (got ${JSON.stringify(value)})`);
  assert.ok(Number.isFinite(value), `${name} is finite (got ${String(value)})`);
  return value as number;
}

function nonEmptyString(value: unknown, name: string): string {
  assert.equal(typeof value, 'string', `${name} is a string (got ${JSON.stringify(value)})`);
  assert.ok((value as string).length > 0, `${name} is not empty`);
  return value as string;
}

/** Quantile as the latency stats define it (linear interpolation, numpy's default). */
function quantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function close(actual: number, expected: number, name: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${name}: ${actual} != ${expected}`,
  );
}

/**
 * Every field of one entry of the result JSON (the contract other tools read), with the relations that
 * hold whatever the timings were: order of the statistics, shares summing to one, counts adding up.
 */
export function assertResultContract(
  r: ResultEntry,
  expected: { model: string; sizeBytes: number; samples: number; variant?: string; ep?: string },
): void {
  const at = `result ${r.taskId} (${String(r.agent?.name)})`;
  assert.equal(r.model, expected.model, `${at}: model`);
  assert.match(r.modelSha256, /^[0-9a-f]{64}$/, `${at}: modelSha256`);
  assert.equal(r.variant, expected.variant ?? 'original', `${at}: variant`);
  assert.equal(r.ep, expected.ep ?? 'cpu', `${at}: ep`);
  nonEmptyString(r.runtime, `${at}: runtime`);
  nonEmptyString(r.taskId, `${at}: taskId`);
  assert.ok(Number.isInteger(r.attempt) && r.attempt >= 1, `${at}: attempt ${r.attempt}`);

  const agent = r.agent;
  assert.equal(typeof agent, 'object', `${at}: agent is an object`);
  nonEmptyString(agent.id, `${at}: agent.id`);
  nonEmptyString(agent.name, `${at}: agent.name`);
  for (const key of ['cpuModel', 'os', 'arch', 'nodeVersion', 'ortVersion']) {
    nonEmptyString(agent[key], `${at}: agent.${key}`);
  }
  assert.ok(finite(agent.cpuCores, `${at}: agent.cpuCores`) >= 1, `${at}: agent.cpuCores >= 1`);
  assert.ok(finite(agent.memoryBytes, `${at}: agent.memoryBytes`) > 0, `${at}: agent.memoryBytes > 0`);
  assert.ok(Number.isInteger(agent.intraOpThreads), `${at}: agent.intraOpThreads is an integer`);
  assert.equal(agent.ortVersion, r.runtime, `${at}: agent.ortVersion is the runtime that measured`);

  assert.equal(r.sizeBytes, expected.sizeBytes, `${at}: sizeBytes is the file size`);
  assert.ok(finite(r.loadMs, `${at}: loadMs`) > 0, `${at}: loadMs > 0`);
  assert.ok(finite(r.firstRunMs, `${at}: firstRunMs`) > 0, `${at}: firstRunMs > 0`);
  assert.ok(finite(r.peakRssBytes, `${at}: peakRssBytes`) > 0, `${at}: peakRssBytes > 0`);

  assert.equal(r.samplesMs.length, expected.samples, `${at}: samplesMs length`);
  r.samplesMs.forEach((s, i) =>
    assert.ok(finite(s, `${at}: samplesMs[${i}]`) > 0, `${at}: samplesMs[${i}] > 0`),
  );
  const l = r.latencyMs;
  for (const key of ['median', 'p90', 'p99', 'mean', 'stddev', 'min', 'max'] as const) {
    assert.ok(finite(l[key], `${at}: latencyMs.${key}`) >= 0, `${at}: latencyMs.${key} >= 0`);
  }
  assert.ok(Array.isArray(l.ci95) && l.ci95.length === 2, `${at}: latencyMs.ci95 is [lo, hi]`);
  const [lo, hi] = l.ci95;
  finite(lo, `${at}: ci95[0]`);
  finite(hi, `${at}: ci95[1]`);
  assert.ok(
    l.min <= l.median && l.median <= l.max,
    `${at}: min <= median <= max (${l.min}, ${l.median}, ${l.max})`,
  );
  assert.ok(lo <= l.median && l.median <= hi, `${at}: ci95 brackets the median (${lo}, ${l.median}, ${hi})`);
  assert.ok(l.median <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, `${at}: median <= p90 <= p99 <= max`);
  assert.ok(l.min <= l.mean && l.mean <= l.max, `${at}: min <= mean <= max`);
  // The statistics describe exactly the samples reported next to them.
  const sorted = [...r.samplesMs].sort((a, b) => a - b);
  close(l.min, sorted[0]!, `${at}: latencyMs.min is the smallest sample`);
  close(l.max, sorted[sorted.length - 1]!, `${at}: latencyMs.max is the largest sample`);
  close(l.median, quantile(sorted, 0.5), `${at}: latencyMs.median is the samples' median`);
  close(
    l.mean,
    sorted.reduce((a, b) => a + b, 0) / sorted.length,
    `${at}: latencyMs.mean is the samples' mean`,
  );

  assert.ok(r.inputs.length > 0, `${at}: inputs listed`);
  for (const input of r.inputs) {
    nonEmptyString(input.name, `${at}: inputs[].name`);
    nonEmptyString(input.elemType, `${at}: inputs[].elemType`);
    assert.ok(['synthetic', 'file'].includes(input.source), `${at}: inputs[].source ${input.source}`);
    assert.ok(
      input.dims.every((d) => Number.isInteger(d) && d > 0),
      `${at}: inputs[].dims concrete: ${JSON.stringify(input.dims)}`,
    );
  }

  assert.ok(r.ops.length > 0, `${at}: ops listed (profiled pass)`);
  let opShare = 0;
  for (const op of r.ops) {
    nonEmptyString(op.node, `${at}: ops[].node`);
    nonEmptyString(op.opType, `${at}: ops[${op.node}].opType`);
    nonEmptyString(op.provider, `${at}: ops[${op.node}].provider`);
    assert.ok(
      finite(op.medianMs, `${at}: ops[${op.node}].medianMs`) >= 0,
      `${at}: ops[${op.node}].medianMs >= 0`,
    );
    const share = finite(op.share, `${at}: ops[${op.node}].share`);
    assert.ok(share >= 0 && share <= 1, `${at}: ops[${op.node}].share in [0, 1]`);
    opShare += share;
  }
  assert.ok(Math.abs(opShare - 1) <= 1e-6, `${at}: op shares sum to 1 (got ${opShare})`);

  assert.ok(r.opTypes.length > 0, `${at}: opTypes listed`);
  let typeShare = 0;
  let typeCount = 0;
  for (const t of r.opTypes) {
    nonEmptyString(t.opType, `${at}: opTypes[].opType`);
    assert.ok(Number.isInteger(t.count) && t.count >= 1, `${at}: opTypes[${t.opType}].count`);
    assert.ok(
      finite(t.totalMs, `${at}: opTypes[${t.opType}].totalMs`) >= 0,
      `${at}: opTypes[${t.opType}].totalMs >= 0`,
    );
    typeShare += finite(t.share, `${at}: opTypes[${t.opType}].share`);
    typeCount += t.count;
  }
  assert.ok(Math.abs(typeShare - 1) <= 1e-6, `${at}: op type shares sum to 1 (got ${typeShare})`);
  assert.equal(typeCount, r.ops.length, `${at}: op type counts add up to the profiled nodes`);
  assert.equal(new Set(r.opTypes.map((t) => t.opType)).size, r.opTypes.length, `${at}: each op type once`);
  assert.deepEqual(
    new Set(r.opTypes.map((t) => t.opType)),
    new Set(r.ops.map((o) => o.opType)),
    `${at}: opTypes cover exactly the ops' types`,
  );
}
