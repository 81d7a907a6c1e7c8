import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import {
  ArtifactKind,
  type GrpcClient,
  RunState,
  TaskState,
  type WatchRunResponse,
  createGrpcClient,
} from '#contracts';
import { bundledModelPath } from '#common';
import { type CliService, freePort, pollUntil, startCliService } from '../support/cli-process.js';
import { describe } from '../support/fault-farm.js';
import { postgresTest, freshPostgresDatabase } from '../support/store-dialects.js';
import { EMPTY_TARGET, FAST_SCENARIO, uploadBytes } from '../support/test-farm.js';

// Two coordinator replicas share one PostgreSQL. Agents list both replicas (each its own order, so both
// replicas hold agents). A run is submitted to and watched on replica B while agents of replica A measure
// its tasks; A is SIGKILLed mid-run. Its agents move to B, the run finishes with one result per task,
// and B's WatchRun saw what happened on A (LISTEN/NOTIFY).

const COORDINATOR_READY = /coordinator: gRPC (\S+), HTTP (\S+), data (.+)\n/;
const AGENT_READY = /agent (\S+) -> (\S+); execution providers: (.*)\n/;

interface Replica {
  address: string;
  dataDir: string;
  service: CliService;
  client: GrpcClient;
}

await postgresTest(
  'two replicas on one PostgreSQL: one SIGKILLed mid-run, the run still finishes',
  async () => {
    const database = await freshPostgresDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'mlfarm-replicas-'));
    const services: CliService[] = [];
    const clients: GrpcClient[] = [];
    const env = { MLFARM_DATABASE_URL: database.url, MLFARM_LEASE_MS: '4000', MLFARM_HEARTBEAT_MS: '500' };
    const startReplica = async (name: string): Promise<Replica> => {
      const address = `127.0.0.1:${await freePort()}`;
      const dataDir = join(dir, name);
      const service = await startCliService(
        ['coordinator', '--grpc', address, '--http', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir],
        { cwd: dir, env, readyPattern: COORDINATOR_READY, timeoutMs: 60_000 },
      );
      services.push(service);
      const client = createGrpcClient(address);
      clients.push(client);
      return { address, dataDir, service, client };
    };
    const startAgent = async (name: string, replicas: Replica[]): Promise<string> => {
      const service = await startCliService(
        [
          'agent',
          '-c',
          replicas.map((r) => r.address).join(','),
          '--name',
          name,
          '--ep',
          'cpu',
          '--threads',
          '1',
        ],
        {
          cwd: dir,
          env: { MLFARM_AGENT_STATE_DIR: join(dir, `agent-${name}`) },
          readyPattern: AGENT_READY,
          timeoutMs: 60_000,
        },
      );
      services.push(service);
      return service.ready[1]!;
    };
    const connectedOn = async (replica: Replica): Promise<Set<string>> => {
      const { agents } = await lastValueFrom(replica.client.coordinator.listAgents({}));
      return new Set(agents.filter((a) => a.connected).map((a) => a.id));
    };

    try {
      // Started together: both run the migrations against the same empty database at once.
      const [a, b] = await Promise.all([startReplica('replica-a'), startReplica('replica-b')]);
      const onA = [await startAgent('on-a-1', [a, b]), await startAgent('on-a-2', [a, b])];
      const onB = [await startAgent('on-b-1', [b, a]), await startAgent('on-b-2', [b, a])];
      for (const replica of [a, b]) {
        await pollUntil('every agent connected, as seen from each replica', async () => {
          const ids = await connectedOn(replica);
          return { value: ids.size === 4 ? true : undefined, state: [...ids].join(' ') };
        });
      }

      // Uploaded to A only: B's agents can fetch it because the bytes are in the database.
      const bytes = await readFile(bundledModelPath('det'));
      const { sha256 } = await uploadBytes(a.client, bytes, 'det.onnx', ArtifactKind.ARTIFACT_KIND_MODEL);
      const { run } = await lastValueFrom(
        b.client.coordinator.submitRun({
          name: 'across-replicas',
          target: EMPTY_TARGET, // one task per agent, each bound to its agent
          scenario: { ...FAST_SCENARIO, minDurationMs: 3_000, iterations: 1 },
          models: [{ sha256, name: 'det.onnx' }],
          recipes: [],
        }),
      );
      const watched = lastValueFrom(b.client.coordinator.watchRun({ runId: run!.id }).pipe(toArray()));

      const runningOnA = await pollUntil('a task running on an agent of replica A', async () => {
        const got = await lastValueFrom(b.client.coordinator.getRun({ runId: run!.id }));
        const task = got.tasks.find(
          (t) => t.state === TaskState.TASK_STATE_RUNNING && onA.includes(t.agentId),
        );
        return { value: task, state: describe(got) };
      });
      await a.service.stop('SIGKILL');

      const end = await pollUntil(
        'the run to finish on replica B',
        async () => {
          const got = await lastValueFrom(b.client.coordinator.getRun({ runId: run!.id }));
          const done = [
            RunState.RUN_STATE_SUCCEEDED,
            RunState.RUN_STATE_FAILED,
            RunState.RUN_STATE_CANCELLED,
          ];
          return { value: done.includes(got.run!.state) ? got : undefined, state: describe(got) };
        },
        120_000,
      );
      assert.equal(end.run!.state, RunState.RUN_STATE_SUCCEEDED, describe(end));
      assert.equal(end.tasks.length, 4);
      assert.deepEqual(
        end.results.map((r) => r.taskId).sort(),
        end.tasks.map((t) => t.id).sort(),
        'one result per task: nothing lost, nothing counted twice',
      );
      const agentsOfResults = new Set(end.results.map((r) => r.agentId));
      assert.deepEqual(
        [...agentsOfResults].sort(),
        [...onA, ...onB].sort(),
        'each agent measured its own task',
      );
      assert.ok(end.results.some((r) => r.taskId === runningOnA.id));

      const events: WatchRunResponse[] = await watched;
      const last = events.at(-1)!;
      assert.equal(last.run?.state, RunState.RUN_STATE_SUCCEEDED, 'the watch on B ends with the run');
      const watchedResults = new Set(events.filter((e) => e.result).map((e) => e.result!.taskId));
      assert.equal(watchedResults.size, 4, 'the watch on B saw every result');
      const runningSeen = events.filter((e) => e.task?.state === TaskState.TASK_STATE_RUNNING);
      assert.ok(
        runningSeen.some((e) => onA.includes(e.task!.agentId)),
        'B relayed task events that happened on replica A (before it died)',
      );

      await pollUntil("A's agents reconnected to B", async () => {
        const ids = await connectedOn(b);
        return { value: ids.size === 4 ? true : undefined, state: [...ids].join(' ') };
      });
      const cached = join(b.dataDir, 'artifacts', 'sha256', sha256.slice(0, 2), sha256);
      assert.ok(existsSync(cached), 'replica B copied the model from the database into its cache');
    } finally {
      clients.forEach((c) => c.close());
      await Promise.all(services.map((s) => s.stop('SIGTERM', 5_000)));
      await rm(dir, { recursive: true, force: true });
      await database.drop();
    }
  },
);
