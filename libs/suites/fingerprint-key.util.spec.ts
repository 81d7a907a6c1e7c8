import assert from 'node:assert/strict';
import test from 'node:test';
import { type Fingerprint } from '#contracts';
import { describeFingerprint, fingerprintKey } from './fingerprint-key.util.js';

const FP: Fingerprint = {
  cpuModel: 'AMD EPYC 9654 96-Core Processor',
  cpuCores: 16,
  memoryBytes: String(125 * 1024 ** 3 + 123_456_789),
  os: 'linux',
  osRelease: '6.8.0-45-generic',
  arch: 'x64',
  nodeVersion: 'v20.19.0',
  ortVersion: '1.22.0',
  intraOpThreads: 1,
  interOpThreads: 1,
  gpu: '',
  hostname: 'agent-1',
};

await test('the key is 12 hex digits, stable, and ignores what does not run the model', () => {
  const key = fingerprintKey(FP, '1.22.0');
  assert.match(key, /^[0-9a-f]{12}$/);
  assert.equal(fingerprintKey({ ...FP }, '1.22.0'), key);
  assert.equal(fingerprintKey({ ...FP, nodeVersion: 'v22.1.0' }, '1.22.0'), key);
  // A few MiB more or less after a reboot is the same machine.
  assert.equal(fingerprintKey({ ...FP, memoryBytes: String(125 * 1024 ** 3 - 50_000_000) }, '1.22.0'), key);
});

await test('every identifying field changes the key', () => {
  const key = fingerprintKey(FP, '1.22.0');
  const variants: Partial<Fingerprint>[] = [
    { cpuModel: 'Intel Xeon' },
    { cpuCores: 8 },
    { memoryBytes: String(64 * 1024 ** 3) },
    { os: 'darwin' },
    { osRelease: '6.9.0' },
    { arch: 'arm64' },
    { gpu: 'NVIDIA H200' },
    { hostname: 'agent-2' },
    { intraOpThreads: 4 },
    { interOpThreads: 2 },
  ];
  const keys = new Set([key, ...variants.map((v) => fingerprintKey({ ...FP, ...v }, '1.22.0'))]);
  assert.equal(keys.size, variants.length + 1);
  assert.notEqual(fingerprintKey(FP, '1.20.1'), key);
});

await test('describeFingerprint is one readable line', () => {
  assert.equal(
    describeFingerprint(FP),
    'agent-1: AMD EPYC 9654 96-Core Processor x16, 125 GiB, linux 6.8.0-45-generic x64, no GPU, ORT 1.22.0, threads 1/1',
  );
  assert.match(
    describeFingerprint({ ...FP, gpu: 'NVIDIA H200', intraOpThreads: 0 }),
    /GPU NVIDIA H200, ORT 1\.22\.0, threads auto\/1$/,
  );
});
