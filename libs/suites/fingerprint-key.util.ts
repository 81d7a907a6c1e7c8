import { createHash } from 'node:crypto';
import { type Fingerprint } from '#contracts';

const GIB = 1024 ** 3;

/**
 * A short stable key (12 hex digits of sha256) for a machine and software stack: two results compare only
 * when their keys match, so baselines never cross fingerprints. Memory is rounded to GiB because the kernel
 * reports slightly different totals across boots; the Node.js version is left out on purpose (it does not
 * run the model), the ONNX Runtime version in (`runtimeVersion`: agents hold several).
 */
export function fingerprintKey(fp: Fingerprint, runtimeVersion: string): string {
  const fields = [
    'mlfarm.fingerprint/v1',
    fp.cpuModel.trim(),
    fp.cpuCores,
    memoryGiB(fp.memoryBytes),
    fp.os,
    fp.osRelease,
    fp.arch,
    fp.gpu.trim(),
    fp.hostname,
    runtimeVersion,
    fp.intraOpThreads,
    fp.interOpThreads,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 12);
}

/** One readable line, e.g. `host-1: AMD EPYC 9654 x16, 125 GiB, linux 6.8.0 x64, no GPU, ORT 1.22.0, threads 1/1`. */
export function describeFingerprint(fp: Fingerprint): string {
  const threads = (n: number): string => (n > 0 ? String(n) : 'auto');
  return [
    `${fp.hostname || 'unknown host'}: ${fp.cpuModel.trim() || 'unknown CPU'} x${fp.cpuCores}`,
    `${memoryGiB(fp.memoryBytes)} GiB`,
    `${fp.os} ${fp.osRelease} ${fp.arch}`.trim(),
    fp.gpu.trim() ? `GPU ${fp.gpu.trim()}` : 'no GPU',
    `ORT ${fp.ortVersion || 'unknown'}`,
    `threads ${threads(fp.intraOpThreads)}/${threads(fp.interOpThreads)}`,
  ].join(', ');
}

function memoryGiB(bytes: string): number {
  const n = Number(bytes);
  return Number.isFinite(n) && n > 0 ? Math.round(n / GIB) : 0;
}
