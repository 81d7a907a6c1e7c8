import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import { Injectable } from '@nestjs/common';
import type { Fingerprint } from '#contracts';

/** The identity that makes two results comparable. GPU names come from the NVIDIA driver when present. */
@Injectable()
export class FingerprintService {
  /** `ortVersion` is the runtime a result was measured with; one agent may hold several. */
  collect(intraOpThreads: number, interOpThreads: number, ortVersion: string): Fingerprint {
    const cpuList = cpus();
    return {
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      cpuCores: cpuList.length,
      memoryBytes: String(totalmem()),
      os: platform(),
      osRelease: release(),
      arch: arch(),
      nodeVersion: process.version,
      ortVersion,
      intraOpThreads,
      interOpThreads,
      gpu: nvidiaGpus(),
      hostname: hostname(),
    };
  }
}

const NVIDIA_GPUS = '/proc/driver/nvidia/gpus';

function nvidiaGpus(): string {
  try {
    // One folder per GPU with an "information" file holding "Model: NVIDIA H200"; absent without the driver.
    return readdirSync(NVIDIA_GPUS)
      .map(
        (bus) =>
          /^Model:\s*(.+)$/m.exec(readFileSync(join(NVIDIA_GPUS, bus, 'information'), 'utf8'))?.[1]?.trim() ??
          '',
      )
      .filter(Boolean)
      .join(', ');
  } catch {
    return '';
  }
}
