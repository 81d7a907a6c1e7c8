import { BenchError, errorMessage } from './bench.exception.js';
import { forkRunner } from './child-runner.client.js';
import { type EpProbe, type RuntimeInfo } from './ort-runtime.types.js';
import { resolveRuntime } from './runtime-registry.util.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Which of `eps` really work on `runtime` ('1.22', a package name, a RuntimeInfo from listRuntimes,
 * or undefined for the default): one
 * fresh child per runtime creates and runs a tiny model on each EP. Should an EP crash that child (a
 * native abort in a GPU provider), each EP is probed again in a child of its own, so the crash marks
 * only the EP that caused it. RUNTIME_UNAVAILABLE when the runtime is not installed.
 */
export async function probeRuntimeEps(
  runtime: string | RuntimeInfo | undefined,
  eps: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<EpProbe[]> {
  const spec = typeof runtime === 'object' ? runtime.packageName : runtime;
  const packageName = resolveRuntime(spec).packageName;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (eps.length > 1) {
    try {
      return await probeInChild(packageName, [...eps], timeoutMs);
    } catch (err) {
      if (!isChildFailure(err)) {
        throw err;
      }
    }
  }
  const probes: EpProbe[] = [];
  for (const ep of eps) {
    try {
      probes.push(...(await probeInChild(packageName, [ep], timeoutMs)));
    } catch (err) {
      if (!isChildFailure(err)) {
        throw err;
      }
      probes.push({ name: ep, available: false, reason: errorMessage(err) });
    }
  }
  return probes;
}

async function probeInChild(runtime: string, eps: string[], timeoutMs: number): Promise<EpProbe[]> {
  const reply = await forkRunner({ type: 'probe', runtime, eps }, { timeoutMs });
  if (reply.type !== 'probed') {
    throw new BenchError('RUN_FAILED', `runner answered ${reply.type} to an EP probe`);
  }
  return reply.eps;
}

function isChildFailure(err: unknown): boolean {
  return err instanceof BenchError && (err.code === 'RUNNER_CRASHED' || err.code === 'TIMEOUT');
}
