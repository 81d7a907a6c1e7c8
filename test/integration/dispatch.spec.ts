import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { bundledModelPath } from '#common';
import { type Db, openDatabase } from '../../apps/coordinator/store/database.js';
import { QuickAgent, allSucceeded } from '../support/quick-agent.js';
import { rawClients } from '../support/raw-grpc.js';
import { freshPostgresDatabase, postgresTest } from '../support/store-dialects.js';
import { TestFarm } from '../support/test-farm.js';
import type { CoordinatorOverrides } from '../../apps/coordinator/config/coordinator.config.js';

// The dispatch path on PostgreSQL, with agents that speak the protocol themselves:
// - a coordinator runs several sweeps at once (DispatchRepository.sweepsAtOnce), each for different idle
//   agents. Thirty agents finish tasks at random moments while runs are submitted (each submission sweeps
//   every idle agent): no agent may ever be handed a task while it still holds one, and every task runs once.
// - a result frees its agent as it arrives, even while the agent's previous result is still being stored.

interface HeldRow {
  /** Ends the transaction that holds the row; resolves when it has. */
  release(): Promise<void>;
}

/** Holds a task's row locked in a transaction of `holder`: storing that task's result waits for it. */
async function holdRow(holder: Db, taskId: string): Promise<HeldRow> {
  let releaseRow: () => void = () => {};
  let holding: Promise<void> | undefined;
  await new Promise<void>((resolve, reject) => {
    holding = holder
      .transaction()
      .execute(async (trx) => {
        await sql`SELECT id FROM tasks WHERE id = ${taskId} FOR UPDATE`.execute(trx);
        resolve();
        await new Promise<void>((release) => (releaseRow = release));
      })
      .catch(reject);
  });
  return {
    release: async () => {
      releaseRow();
      await holding;
    },
  };
}

const AGENTS = 30;
const BOUND_RUNS = 8;

await postgresTest(
  'sweeps side by side never hand an agent a second task, and every task runs once',
  async () => {
    const database = await freshPostgresDatabase();
    const farm = await TestFarm.start([], {}, { MLFARM_DATABASE_URL: database.url });
    const clients = rawClients(farm.coordinator.grpcAddress);
    const agents = Array.from({ length: AGENTS }, (_, i) => new QuickAgent(clients, `quick-${i}`));
    try {
      await farm.waitForAgents(AGENTS);
      const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
      const models = [{ sha256: det.sha256, name: 'det.onnx' }];
      const runIds: string[] = [];
      // Bound runs (a task per agent) and unbound ones (any one agent: the chooser's path), submitted
      // while the agents are busy with the previous ones.
      for (let i = 0; i < BOUND_RUNS; i++) {
        runIds.push((await farm.submit({ models })).run!.id);
        runIds.push((await farm.submit({ models, target: { anyOneAgent: true } })).run!.id);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await allSucceeded(farm, runIds, 60_000, 'every run to succeed');
      assert.deepEqual(
        agents.flatMap((a) => a.overlaps),
        [],
        'no agent got a task while it held one',
      );
      const assigned = agents.flatMap((a) => a.assigned);
      assert.equal(assigned.length, BOUND_RUNS * (AGENTS + 1), 'each task assigned once');
      assert.equal(new Set(assigned).size, assigned.length);
      for (const agent of agents) {
        assert.ok(agent.assigned.length >= BOUND_RUNS, `${agent.agentId} ran its bound tasks`);
      }
    } finally {
      agents.forEach((a) => a.close());
      clients.close();
      await farm.close();
      await database.drop();
    }
  },
);

/**
 * PostgreSQL: a fresh database and farm, one protocol-speaking agent that reports only when told,
 * `runs` runs of one task each bound to it, and `hold`, which keeps a task's row locked (released at
 * the end whatever happens).
 */
async function withOneManualAgent(
  overrides: CoordinatorOverrides,
  runs: number,
  body: (
    farm: TestFarm,
    agent: QuickAgent,
    runIds: string[],
    hold: (taskId: string) => Promise<HeldRow>,
  ) => Promise<void>,
): Promise<void> {
  const database = await freshPostgresDatabase();
  const farm = await TestFarm.start([], overrides, { MLFARM_DATABASE_URL: database.url });
  const clients = rawClients(farm.coordinator.grpcAddress);
  const agent = new QuickAgent(clients, 'manual-0', false);
  const holder = await openDatabase(database.url, { poolSize: 1 });
  const held: HeldRow[] = [];
  try {
    await farm.waitForAgents(1);
    const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
    const runIds: string[] = [];
    for (let i = 0; i < runs; i++) {
      runIds.push((await farm.submit({ models: [{ sha256: det.sha256, name: 'det.onnx' }] })).run!.id);
    }
    await body(farm, agent, runIds, async (taskId) => {
      const row = await holdRow(holder, taskId);
      held.push(row);
      return row;
    });
  } finally {
    await Promise.all(held.map((row) => row.release().catch(() => undefined)));
    agent.close();
    clients.close();
    await holder.destroy();
    await farm.close();
    await database.drop();
  }
}

await postgresTest(
  "a result frees its agent at once, while the agent's previous result still waits to be stored",
  () =>
    withOneManualAgent({}, 3, async (farm, agent, runIds, hold) => {
      const first = await agent.assignment(0, 10_000);
      // Another transaction holds the first task's row: storing its result (which ends the task) waits.
      const row = await hold(first.taskId);
      agent.report(first);
      const second = await agent.assignment(1, 10_000);
      // The second result queues behind the first one's storing; the third task must come anyway.
      agent.report(second);
      const third = await agent.assignment(2, 5_000);
      await row.release();
      agent.report(third);
      await allSucceeded(farm, runIds, 30_000, 'the three runs to succeed once the row is free');
      assert.deepEqual(agent.overlaps, []);
    }),
);

await postgresTest(
  'a heartbeat that waited in the queue behind a report does not free an agent given a task since',
  () =>
    withOneManualAgent(
      { heartbeatIntervalMs: 200, leaseMs: 10_000 },
      4,
      async (_farm, agent, _runIds, hold) => {
        const first = await agent.assignment(0, 10_000);
        // Storing the first result waits for the row, and the stream's queue with it.
        const row = await hold(first.taskId);
        agent.report(first);
        const second = await agent.assignment(1, 10_000);
        // Queued behind that report, a heartbeat naming the task the agent holds; then that task's result,
        // which frees the agent as it arrives: it gets its third task.
        agent.heartbeat([second.taskId]);
        agent.report(second);
        await agent.assignment(2, 10_000);
        // The third task is older than a heartbeat interval when the queue gets to the heartbeat.
        await new Promise((resolve) => setTimeout(resolve, 600));
        await row.release();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        assert.deepEqual(agent.overlaps, [], 'no fourth task while the agent holds its third');
      },
    ),
);
