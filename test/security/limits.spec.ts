import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Observable, type Subscription, lastValueFrom } from 'rxjs';
import { ArtifactKind, type GrpcClient, RunState, type UploadModelRequest } from '#contracts';
import { bundledModelPath } from '#common';
import {
  EMPTY_TARGET,
  FAST_SCENARIO,
  TestFarm,
  grpcError,
  uploadBytes,
  waitFor,
} from '../support/test-farm.js';

const detBytes = await readFile(bundledModelPath('det'));

// Small limits so each one is reached with a handful of calls.
const farm = await TestFarm.start(
  [{ name: 'limits-a', executionProviders: ['cpu'] }],
  {},
  {
    MLFARM_AUTH: 'token',
    MLFARM_MAX_MODEL_MIB: '8',
    MLFARM_MAX_MESSAGE_MIB: '2',
    MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT: '1',
    MLFARM_MAX_STREAMS_PER_CLIENT: '2',
  },
);
const admin = farm.client;
const tokenA = (await lastValueFrom(admin.coordinator.createToken({ name: 'ci-a', scopes: ['submit'] })))
  .secret;
const tokenB = (await lastValueFrom(admin.coordinator.createToken({ name: 'ci-b', scopes: ['submit'] })))
  .secret;
const clientA = farm.connect(tokenA);
const clientB = farm.connect(tokenB);
const det = await uploadBytes(clientA, detBytes, 'det.onnx', ArtifactKind.ARTIFACT_KIND_MODEL);

/** A run that stays active until cancelled. */
function longRun(client: GrpcClient) {
  return lastValueFrom(
    client.coordinator.submitRun({
      name: 'long',
      models: [{ sha256: det.sha256, name: 'det.onnx' }],
      target: EMPTY_TARGET,
      scenario: { ...FAST_SCENARIO, iterations: 1_000_000, timeoutMs: 3_600_000 },
      recipes: [],
    }),
  );
}

function oneMessageUpload(client: GrpcClient, chunkBytes: number, announced: number) {
  const requests = new Observable<UploadModelRequest>((out) => {
    out.next({
      metadata: {
        name: 'big.onnx',
        sizeBytes: String(announced),
        sha256: '',
        kind: ArtifactKind.ARTIFACT_KIND_MODEL,
      },
    });
    out.next({ chunk: Buffer.alloc(chunkBytes, 7) });
    out.complete();
  });
  return lastValueFrom(client.coordinator.uploadModel(requests));
}

await test('a model above MLFARM_MAX_MODEL_MIB is refused with RESOURCE_EXHAUSTED', async () => {
  const error = await grpcError(oneMessageUpload(clientA, 1024, 9 * 1024 * 1024));
  assert.equal(error.code, status.RESOURCE_EXHAUSTED);
  assert.match(error.details, /exceeds the limit of 8388608 bytes/);
});

await test('a gRPC message above MLFARM_MAX_MESSAGE_MIB is refused with RESOURCE_EXHAUSTED', async () => {
  const error = await grpcError(oneMessageUpload(clientA, 2 * 1024 * 1024 + 4096, 2 * 1024 * 1024 + 4096));
  assert.equal(error.code, status.RESOURCE_EXHAUSTED);
  assert.match(error.details, /larger than max/i);
});

await test('active runs are limited per client: the second of client A is refused, client B still submits', async () => {
  const { run: first } = await longRun(clientA);
  const refused = await grpcError(longRun(clientA));
  assert.equal(refused.code, status.RESOURCE_EXHAUSTED);
  assert.match(refused.details, /MLFARM_MAX_ACTIVE_RUNS_PER_CLIENT/);
  const { run: other } = await longRun(clientB);
  assert.equal(other!.state, RunState.RUN_STATE_QUEUED);

  // Streams: two WatchRun streams per client are allowed, the third is refused; closing one frees a slot.
  const watches: Subscription[] = [];
  const errors: { code: number; details: string }[] = [];
  const watch = (client: GrpcClient) =>
    client.coordinator.watchRun({ runId: first!.id }).subscribe({
      error: (e: { code: number; details: string }) => errors.push(e),
    });
  watches.push(watch(clientA), watch(clientA));
  await new Promise((resolve) => setTimeout(resolve, 300));
  watches.push(watch(clientA));
  await waitFor(() => errors.length === 1, 10_000, 'the third stream to be refused');
  assert.equal(errors[0]!.code, status.RESOURCE_EXHAUSTED);
  assert.match(errors[0]!.details, /MLFARM_MAX_STREAMS_PER_CLIENT/);
  const viaB = watch(clientB);
  watches[0]!.unsubscribe();
  // The slot comes back once the server has seen the cancellation; until then a new stream is refused.
  await waitFor(
    async () => {
      const before = errors.length;
      watches.push(watch(clientA));
      await new Promise((resolve) => setTimeout(resolve, 200));
      return errors.length === before;
    },
    10_000,
    'a freed stream slot',
  );
  for (const w of [...watches, viaB]) {
    w.unsubscribe();
  }

  // Ending the first run frees the run slot.
  await lastValueFrom(clientA.coordinator.cancelRun({ runId: first!.id }));
  const { run: next } = await longRun(clientA);
  await lastValueFrom(clientA.coordinator.cancelRun({ runId: next!.id }));
  await lastValueFrom(clientB.coordinator.cancelRun({ runId: other!.id }));
});

clientA.close();
clientB.close();
await farm.close();
