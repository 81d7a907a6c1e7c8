import { Injectable, Logger } from '@nestjs/common';
import type { ExecutionProvider, Runtime } from '#contracts';
import { listRuntimes, probeRuntimeEps } from '#bench';
import { errorMessage } from '#common';

/**
 * Which ONNX Runtime builds this agent holds and, for each, which execution providers really create and run
 * a session here (ONNX Runtime's reason when not). Each runtime is probed in its own child process: two
 * builds cannot share one, and a broken driver must crash the probe, not the agent.
 */
@Injectable()
export class EpProbeService {
  private readonly logger = new Logger(EpProbeService.name);

  async probe(eps: string[]): Promise<{ runtimes: Runtime[]; executionProviders: ExecutionProvider[] }> {
    const runtimes: Runtime[] = [];
    for (const info of listRuntimes()) {
      const executionProviders = await probeRuntimeEps(info, eps).catch(
        (error: unknown): ExecutionProvider[] => {
          const reason = `probe failed: ${errorMessage(error)}`;
          this.logger.error(`ONNX Runtime ${info.version}: ${reason}`);
          return eps.map((name) => ({ name, available: false, reason }));
        },
      );
      runtimes.push({
        version: info.version,
        packageName: info.packageName,
        isDefault: info.isDefault,
        executionProviders,
      });
    }
    const fallback = runtimes.find((r) => r.isDefault) ?? runtimes.at(-1);
    return { runtimes, executionProviders: fallback?.executionProviders ?? [] };
  }
}
