import { createHash } from 'node:crypto';
import type { TaskResult } from '#contracts';
import { ArtifactRepository } from '../../apps/coordinator/store/artifact.repository.js';
import type { Db } from '../../apps/coordinator/store/database.js';
import { DispatchRepository } from '../../apps/coordinator/store/dispatch.repository.js';
import {
  type NewTask,
  type RunOrigin,
  RunRepository,
  type RunRequest,
} from '../../apps/coordinator/store/run.repository.js';

// Rows the store tests build on: tasks and baselines reference artifacts, results reference tasks.

export const sha = (seed: string): string => createHash('sha256').update(seed).digest('hex');

export const REQUEST: RunRequest = {
  models: [{ sha256: sha('model'), name: 'model.onnx' }],
  target: { labels: [], executionProviders: ['cpu'], agents: [], anyOneAgent: true, runtimes: [] },
  scenario: {
    warmupIterations: 1,
    iterations: 3,
    minDurationMs: 0,
    intraOpThreads: 1,
    interOpThreads: 1,
    graphOptimizationLevel: 0,
    skipProfile: true,
    profileIterations: 0,
    seed: 7,
    shapes: [],
    inputFiles: [],
    timeoutMs: 60_000,
  },
};

export async function seedArtifact(db: Db, seed: string, sizeBytes = 1234): Promise<string> {
  const sha256 = sha(seed);
  await new ArtifactRepository(db).insertIfAbsent({
    sha256,
    name: `${seed}.onnx`,
    kind: 'model',
    sizeBytes,
    createdAt: 1_000,
  });
  return sha256;
}

export function newTask(id: string, modelSha256: string, overrides: Partial<NewTask> = {}): NewTask {
  return {
    id,
    modelSha256,
    modelName: 'model.onnx',
    variant: 'original',
    agentId: null,
    ep: 'cpu',
    variantSha256: null,
    runtime: '',
    reference: null,
    ...overrides,
  };
}

/** A run with `taskIds.length` unbound tasks on one seeded model; returns the model's sha256. */
export async function seedRun(
  db: Db,
  runId: string,
  taskIds: string[],
  now = 10_000,
  origin?: RunOrigin,
): Promise<string> {
  const model = await seedArtifact(db, 'model');
  await new RunRepository(db).createRun(
    runId,
    `run ${runId}`,
    REQUEST,
    taskIds.map((id) => newTask(id, model)),
    now,
    origin,
  );
  return model;
}

export function sampleResult(taskId: string, attempt: number, opCount = 3): TaskResult {
  return {
    taskId,
    attempt,
    agentId: 'agent-a',
    fingerprint: {
      cpuModel: 'Test CPU',
      cpuCores: 8,
      memoryBytes: '17179869184',
      os: 'linux',
      osRelease: '6.1',
      arch: 'x64',
      nodeVersion: 'v20',
      ortVersion: '1.30.0',
      intraOpThreads: 1,
      interOpThreads: 1,
      gpu: '',
      hostname: 'h',
    },
    measurement: {
      ortVersion: '1.30.0',
      ep: 'cpu',
      // Values a 4-byte float or a text round trip would not keep exactly.
      loadMs: 12.345678901234,
      firstRunMs: 0.1 + 0.2,
      samplesMs: [1.5, 2.25, 1 / 3],
      latency: {
        median: 1 / 3,
        p90: 2.25,
        p99: 2.25,
        mean: 1.3611111111111112,
        stddev: 0.7,
        min: 1 / 3,
        max: 2.25,
        mad: 0.1,
        ci95Low: 0.2,
        ci95High: 2.3,
        count: 3,
      },
      peakRssBytes: '8589934592',
      arenaPeakBytes: '0',
      ops: Array.from({ length: opCount }, (_, i) => ({
        node: `node_${opCount - i}`,
        opType: i % 2 ? 'Conv' : 'Relu',
        provider: 'CPUExecutionProvider',
        medianMs: i / 7,
        share: 1 / (i + 3),
      })),
      opTypes: [{ opType: 'Conv', count: 2, totalMs: 1.25, share: 0.5 }],
      profiledRunMedianMs: 0.987654321,
      inputs: [{ name: 'x', dims: ['1', '3'], elemType: 'float32', source: 'random' }],
      fidelity: undefined,
    },
  };
}

/** Leases a queued task to an agent, as a dispatch sweep would (the sweep itself is tested in dispatch.repository.spec). */
export async function leaseTask(
  db: Db,
  taskId: string,
  agentId: string,
  leaseExpiresAt: number,
): Promise<boolean> {
  const leased = await new DispatchRepository(db).leaseQueued([agentId], 10_000, leaseExpiresAt, (queued) =>
    Promise.resolve(queued.some((t) => t.id === taskId) ? [{ taskId, agentId }] : []),
  );
  return leased.length === 1;
}
