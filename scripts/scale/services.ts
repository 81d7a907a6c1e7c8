import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_BIN } from '../../test/support/cli-process.js';
import { onCleanup, trackChild } from './cleanup.js';

/** A child process serving on loopback, its output going to a log file (never to a pipe it could block on). */
export interface Service {
  name: string;
  pid: number;
  grpcAddress: string;
  httpAddress: string;
  logFile: string;
  stop(): Promise<void>;
}

const COORDINATOR_READY = /coordinator: gRPC (\S+), HTTP (\S+), data (.+)\n/;
const BARE_READY = /bare: gRPC (\S+), HTTP (\S+)\n/;
const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url));

/** This process's environment without MLFARM_* settings (as the CLI tests do), plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MLFARM_') && key !== 'FORCE_COLOR' && key !== 'NODE_OPTIONS') {
      env[key] = value;
    }
  }
  return { ...env, ...extra };
}

export function tail(file: string, chars = 2000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > chars ? `...${text.slice(-chars)}` : text;
  } catch {
    return '';
  }
}

async function startService(
  name: string,
  args: string[],
  env: Record<string, string>,
  logDir: string,
  ready: RegExp,
  timeoutMs: number,
): Promise<Service> {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { env: childEnv(env), stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  trackChild(child);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(`exited (code ${code}, signal ${signal})`)),
  );
  const stop = onCleanup(`stop ${name}`, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
  });
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  void exited.then((why) => (gone = why));
  for (;;) {
    const match = ready.exec(tail(logFile, 100_000));
    if (match) {
      return { name, pid: child.pid!, grpcAddress: match[1]!, httpAddress: match[2]!, logFile, stop };
    }
    if (gone !== undefined || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} ${gone ?? `not ready within ${timeoutMs} ms`}: ${tail(logFile, 1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface CoordinatorStart {
  name: string;
  grpcPort: number;
  httpPort: number;
  dataDir: string;
  logDir: string;
  /** MLFARM_DATABASE_URL; SQLite in the data folder when absent. */
  databaseUrl?: string;
  extraEnv: Record<string, string>;
  /** Folder for `node --cpu-prof` output; no profiling when absent. */
  cpuProfDir?: string;
  /** Folder for the SQL statement timings of sql-timer.js; none when absent. */
  sqlProfDir?: string;
  /** Extra node flags, before the coordinator's script. */
  nodeFlags?: string[];
}

const SQL_TIMER = new URL('./sql-timer.js', import.meta.url).href;

/** `mlfarm coordinator` as a user runs it (bin/mlfarm.js), embedded defaults: no auth on loopback. */
export function startCoordinator(c: CoordinatorStart): Promise<Service> {
  const env: Record<string, string> = { ...c.extraEnv };
  if (c.databaseUrl) {
    env.MLFARM_DATABASE_URL = c.databaseUrl;
  }
  // Node 20 refuses --cpu-prof in NODE_OPTIONS; as a flag of the coordinator's own node it is the same.
  const nodeFlags = c.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${c.cpuProfDir}`] : [];
  if (c.sqlProfDir) {
    nodeFlags.push('--import', SQL_TIMER);
    env.SCALE_SQL_PROF_DIR = c.sqlProfDir;
  }
  nodeFlags.push(...(c.nodeFlags ?? []));
  return startService(
    c.name,
    [
      ...nodeFlags,
      CLI_BIN,
      'coordinator',
      '--grpc',
      `127.0.0.1:${c.grpcPort}`,
      '--http',
      `127.0.0.1:${c.httpPort}`,
      '--data-dir',
      c.dataDir,
    ],
    env,
    c.logDir,
    COORDINATOR_READY,
    60_000,
  );
}

export function startBareServer(
  grpcPort: number,
  httpPort: number,
  logDir: string,
  modelSha256: string,
  modelSizeBytes: number,
): Promise<Service> {
  return startService(
    'bare',
    [
      BARE_SERVER,
      '--grpc',
      `127.0.0.1:${grpcPort}`,
      '--http',
      `127.0.0.1:${httpPort}`,
      '--model-sha256',
      modelSha256,
      '--model-size',
      String(modelSizeBytes),
    ],
    {},
    logDir,
    BARE_READY,
    30_000,
  );
}
