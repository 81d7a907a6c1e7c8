import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface StackImages {
  coordinator: string;
  agent: string;
  prometheus: string;
}

// dist/test/e2e/containers/support -> repository root
const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** Builds (or finds, by content hash) the FROM scratch images with deploy/images/build-images.sh. */
export async function buildStackImages(): Promise<StackImages> {
  const { stdout } = await promisify(execFile)('bash', [`${ROOT}deploy/images/build-images.sh`], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
  });
  const found = Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=') as [string, string]),
  );
  const image = (key: string): string => {
    const value = found[key];
    if (!value) {
      throw new Error(`build-images.sh printed no ${key}`);
    }
    return value;
  };
  return {
    coordinator: image('MLFARM_COORDINATOR_IMAGE'),
    agent: image('MLFARM_AGENT_IMAGE'),
    prometheus: image('MLFARM_PROMETHEUS_IMAGE'),
  };
}

export const REPOSITORY_ROOT = ROOT;

export function dockerAvailable(): Promise<boolean> {
  return promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
}
