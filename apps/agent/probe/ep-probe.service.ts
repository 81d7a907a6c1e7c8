import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Injectable, Logger } from '@nestjs/common';
import type { ExecutionProvider } from '#contracts';

const PROBE_TIMEOUT_MS = 60_000;

/** Which execution providers really create and run a session here, with ONNX Runtime's reason when not. */
@Injectable()
export class EpProbeService {
  private readonly logger = new Logger(EpProbeService.name);

  probe(eps: string[]): Promise<ExecutionProvider[]> {
    const script = fileURLToPath(new URL('./ep-probe-child.js', import.meta.url));
    return new Promise((resolve) => {
      execFile(process.execPath, [script, ...eps], { timeout: PROBE_TIMEOUT_MS }, (error, stdout, stderr) => {
        if (error) {
          const reason = `probe process failed: ${(stderr || error.message).trim().split('\n').pop() ?? ''}`;
          this.logger.error(reason);
          // The CPU is always there; without a probe no other EP is claimed.
          resolve([
            { name: 'cpu', available: true, reason: '' },
            ...eps.filter((e) => e !== 'cpu').map((name) => ({ name, available: false, reason })),
          ]);
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as ExecutionProvider[]);
      });
    });
  }
}
