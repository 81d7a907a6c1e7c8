import { spawnSync } from 'node:child_process';

/** promtool from Debian's prometheus package; tests that need it skip (with the reason) when it is absent. */
export function promtoolPath(): string | undefined {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? 'promtool' : undefined;
}

export function promtool(args: string[], stdin?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', input: stdin });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
