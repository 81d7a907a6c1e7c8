import { Inject, Injectable, Optional } from '@nestjs/common';
import { type CompiledQuery, type Kysely, type Transaction, sql } from 'kysely';
import {
  type ModelRef,
  type Recipe,
  type Run,
  RunKind,
  RunState,
  type Scenario,
  type Target,
  type Task,
  TaskState,
} from '#contracts';
import { DATABASE } from './database.tokens.js';
import { queryTemplate } from './query-template.js';
import { type Db, dialectOf } from './database.js';
import { type BulkForm, type WriteStep, unnestOf } from './bulk-write.js';
import { BatchedLookup } from './batched-lookup.js';
import { WriteBatcher } from './write-batcher.js';
import type { Database, RunTable, TaskTable } from './database.types.js';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type TaskStatus = 'queued' | 'leased' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRequest {
  models: ModelRef[];
  target: Target;
  scenario: Scenario;
  recipes?: Recipe[];
}

export interface NewTask {
  id: string;
  modelSha256: string;
  modelName: string;
  variant: string;
  agentId: string | null;
  ep: string;
  variantSha256: string | null;
  runtime: string;
  reference: { sha256: string; runtime: string; label: string } | null;
  /** Gates only. */
  side?: 'base' | 'head';
  round?: number;
}

export type RunKindName = 'adhoc' | 'nightly' | 'gate';

/** How a suite run or gate was asked for; plain SubmitRun runs are 'adhoc' with no suite. */
export interface RunOrigin {
  kind: RunKindName;
  suite?: string;
  baseline?: string;
  /** The validated suite (JSON), kept for verdicts computed later, even after a restart. */
  suiteJson?: string;
  /** The client (API token id, or 'local' without authentication) that asked for the run. */
  submittedBy?: string | null;
}

const RUN_KINDS: Record<RunKindName, RunKind> = {
  adhoc: RunKind.RUN_KIND_ADHOC,
  nightly: RunKind.RUN_KIND_NIGHTLY,
  gate: RunKind.RUN_KIND_GATE,
};

const RUN_STATES: Record<RunStatus, RunState> = {
  queued: RunState.RUN_STATE_QUEUED,
  running: RunState.RUN_STATE_RUNNING,
  succeeded: RunState.RUN_STATE_SUCCEEDED,
  failed: RunState.RUN_STATE_FAILED,
  cancelled: RunState.RUN_STATE_CANCELLED,
};

const TASK_STATES: Record<TaskStatus, TaskState> = {
  queued: TaskState.TASK_STATE_QUEUED,
  leased: TaskState.TASK_STATE_LEASED,
  running: TaskState.TASK_STATE_RUNNING,
  succeeded: TaskState.TASK_STATE_SUCCEEDED,
  failed: TaskState.TASK_STATE_FAILED,
  cancelled: TaskState.TASK_STATE_CANCELLED,
};

/** Rows per INSERT of a run's tasks (18 bound parameters each). */
const TASK_INSERT_BATCH = 1_000;

export const ACTIVE_TASK_STATES: TaskStatus[] = ['leased', 'running'];
export const FINISHED_TASK_STATES: TaskStatus[] = ['succeeded', 'failed', 'cancelled'];
/**
 * The predicates of the partial indexes tasks_queued and tasks_active, as literals: SQLite uses a partial
 * index only when the query repeats its WHERE term, which a bound parameter does not.
 */
export const TASK_IS_QUEUED = sql<boolean>`"tasks"."state" = 'queued'`;
export const TASK_IS_ACTIVE = sql<boolean>`"tasks"."state" IN ('leased', 'running')`;

interface TaskCounts {
  total: number;
  succeeded: number;
  failed: number;
}

@Injectable()
export class RunRepository {
  private readonly taskById: (id: string) => CompiledQuery<TaskTable>;
  /** PostgreSQL: the task reads of one turn as one query, and a write batch's lease renewals as one. */
  private readonly tasksById?: BatchedLookup<TaskTable>;
  private readonly renewMany?: BulkForm;

  /**
   * `writes`: on SQLite a run and its tasks are stored by the writer thread (sqlite-writer.ts). On the
   * coordinator's connection, a thousand tasks' INSERT and the wait for the writer's commit before it
   * (BEGIN IMMEDIATE) held the coordinator's thread for 10-60 ms at every run submitted during a load test.
   */
  constructor(
    @Inject(DATABASE) private readonly db: Db,
    @Optional() private readonly writes?: WriteBatcher,
  ) {
    this.taskById = queryTemplate(db, 1, (id: string) =>
      db.selectFrom('tasks').selectAll().where('id', '=', id),
    );
    if (dialectOf(db) === 'postgres') {
      this.tasksById = new BatchedLookup(async (ids) => {
        const { rows } = await sql<TaskTable>`
          SELECT t.* FROM ${unnestOf(
            ids.map((id) => [id]),
            ['text'],
          )} AS k(id) JOIN tasks AS t ON t.id = k.id COLLATE "C"`.execute(db);
        return new Map(rows.map((row) => [row.id, row]));
      });
      // SKIP LOCKED: a renewal never waits for a task row another transaction holds (one ending or
      // starting that task, which sets its lease itself); the agent's next heartbeat renews it. Waiting,
      // it deadlocked with the batch of another write lane ending the same agent's tasks in the other
      // order: one to four deadlocks per load-test pass, each a 1 s stall (deadlock_timeout) and a retry.
      // NO KEY UPDATE, as an UPDATE itself takes: a result's foreign-key check (KEY SHARE) never waits on it.
      this.renewMany = {
        name: 'renew leases',
        compile: (rows) =>
          sql`
            WITH renewable AS (
              SELECT t.id, v.lease
              FROM ${unnestOf(rows, ['text', 'text', 'bigint'])} AS v(agent_id, id, lease)
              JOIN tasks AS t ON t.id = v.id COLLATE "C" AND t.agent_id = v.agent_id COLLATE "C"
              WHERE t.state IN (${sql.join(ACTIVE_TASK_STATES)})
              FOR NO KEY UPDATE OF t SKIP LOCKED
            )
            UPDATE tasks AS t SET lease_expires_at = renewable.lease
            FROM renewable
            WHERE t.id = renewable.id
            RETURNING t.id`.compile(db),
        keyOfInput: (row) => String(row[1]),
        keyOfOutput: (row) => String(row.id),
      };
    }
  }

  /** The run and all its tasks appear together or not at all. */
  async createRun(
    id: string,
    name: string,
    request: RunRequest,
    tasks: NewTask[],
    now: number,
    origin: RunOrigin = { kind: 'adhoc' },
  ): Promise<void> {
    const statements = (db: Kysely<Database>): CompiledQuery[] => [
      db
        .insertInto('runs')
        .values({
          id,
          name,
          state: 'queued',
          request_json: JSON.stringify(request),
          created_at: now,
          kind: origin.kind,
          suite: origin.suite ?? null,
          baseline: origin.baseline ?? null,
          suite_json: origin.suiteJson ?? null,
          submitted_by: origin.submittedBy ?? null,
        })
        .compile(),
      ...taskInserts(db, id, tasks, 0, now),
    ];
    if (this.writes && dialectOf(this.db) === 'sqlite') {
      // One job: one transaction on the writer thread.
      await this.writes.write(statements(this.db).map((query) => ({ query })));
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (const query of statements(trx)) {
        await trx.executeQuery(query);
      }
    });
  }

  /** More tasks for a run still in progress (a gate adding rounds); they queue after the existing ones. */
  async appendTasks(runId: string, tasks: NewTask[], now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (dialectOf(trx) === 'postgres') {
        // Under READ COMMITTED two appends could read the same max(seq); SQLite's single writer cannot.
        await trx.selectFrom('runs').select('id').where('id', '=', runId).forUpdate().execute();
      }
      const last = await trx
        .selectFrom('tasks')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('run_id', '=', runId)
        .executeTakeFirst();
      await insertTasks(trx, runId, tasks, Number(last?.seq ?? -1) + 1, now);
    });
  }

  /** Runs of one client that are still queued or running. */
  async countActiveRunsOf(submittedBy: string): Promise<number> {
    const row = await this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('submitted_by', '=', submittedBy)
      .where('state', 'in', ['queued', 'running'])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findRunRow(id: string): Promise<RunTable | undefined> {
    return this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = await this.findRunRow(id);
    return row ? this.toRun(row, (await this.taskCountsOf([id])).get(id)) : undefined;
  }

  async listRuns(limit: number): Promise<Run[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    const counts = await this.taskCountsOf(rows.map((row) => row.id));
    return rows.map((row) => this.toRun(row, counts.get(row.id)));
  }

  /**
   * Tasks per state of each run, counted on the index (tasks_run_state): reading a thousand-task run's
   * rows to count them held the coordinator's thread for 8-27 ms at every run's start and end
   * (scripts/bench-scale.ts --sql-prof).
   */
  private async taskCountsOf(runIds: string[]): Promise<Map<string, TaskCounts>> {
    const counts = new Map<string, TaskCounts>();
    if (runIds.length === 0) {
      return counts;
    }
    const rows = await this.db
      .selectFrom('tasks')
      .select(['run_id', 'state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('run_id', 'in', runIds)
      .groupBy(['run_id', 'state'])
      .execute();
    for (const row of rows) {
      const c = counts.get(row.run_id) ?? { total: 0, succeeded: 0, failed: 0 };
      const n = Number(row.n);
      c.total += n;
      if (row.state === 'succeeded' || row.state === 'failed') {
        c[row.state] += n;
      }
      counts.set(row.run_id, c);
    }
    return counts;
  }

  async listTaskRows(runId: string): Promise<TaskTable[]> {
    return this.db.selectFrom('tasks').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
  }

  async listTasks(runId: string): Promise<Task[]> {
    return (await this.listTaskRows(runId)).map((row) => toTask(row));
  }

  /** One index probe (tasks_run_state), where listing a run's tasks to look was milliseconds a run. */
  async hasFailedTask(runId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('tasks')
      .select('id')
      .where('run_id', '=', runId)
      .where('state', '=', 'failed')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Asked for every message about a task: built once (query-template.ts). */
  async findTask(id: string): Promise<TaskTable | undefined> {
    if (this.tasksById) {
      return this.tasksById.get(id);
    }
    return (await this.db.executeQuery(this.taskById(id))).rows[0];
  }

  async renewLeases(agentId: string, taskIds: string[], leaseExpiresAt: number): Promise<void> {
    if (taskIds.length > 0) {
      await this.db.executeQuery(this.renewLeasesQuery(agentId, taskIds, leaseExpiresAt));
    }
  }

  /** renewLeases compiled, for a write job (write-batcher.ts); `taskIds` must not be empty. */
  renewLeasesQuery(agentId: string, taskIds: string[], leaseExpiresAt: number): CompiledQuery {
    return this.db
      .updateTable('tasks')
      .set({ lease_expires_at: leaseExpiresAt })
      .where('agent_id', '=', agentId)
      .where('id', 'in', taskIds)
      .where('state', 'in', ACTIVE_TASK_STATES)
      .compile();
  }

  /**
   * renewLeases as a write job's step; `taskIds` must not be empty. Its own commit on PostgreSQL (see
   * WriteStep.ownCommit): a renewal belongs to no other write, and held in a batch it made the lane ending
   * that task wait.
   */
  renewLeasesStep(agentId: string, taskIds: string[], leaseExpiresAt: number): WriteStep {
    return {
      ownCommit: true,
      query: this.renewLeasesQuery(agentId, taskIds, leaseExpiresAt),
      bulk: this.renewMany && {
        form: this.renewMany,
        rows: taskIds.map((id) => [agentId, id, leaseExpiresAt]),
      },
    };
  }

  async expiredLeases(now: number): Promise<TaskTable[]> {
    return this.db
      .selectFrom('tasks')
      .selectAll()
      .where(TASK_IS_ACTIVE)
      .where('lease_expires_at', '<', now)
      .execute();
  }

  /** Back to the queue with a new attempt number; results of the old attempt stay valid if they arrive. */
  async requeueTask(id: string, attempt: number, unbind: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set((eb) => ({
        state: 'queued',
        attempt: attempt + 1,
        lease_expires_at: null,
        agent_id: unbind ? null : eb.ref('agent_id'),
      }))
      .where('id', '=', id)
      .where('attempt', '=', attempt)
      .where('state', 'in', ACTIVE_TASK_STATES)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async activeTasksOfRun(runId: string): Promise<TaskTable[]> {
    return this.db
      .selectFrom('tasks')
      .selectAll()
      .where('run_id', '=', runId)
      .where('state', 'not in', FINISHED_TASK_STATES)
      .execute();
  }

  /** Returns false when the run had already ended (its final state never changes). */
  async setRunState(id: string, state: RunStatus, now: number): Promise<boolean> {
    const finished = state === 'succeeded' || state === 'failed' || state === 'cancelled';
    const result = await this.db
      .updateTable('runs')
      .set(finished ? { state, finished_at: now } : { state, started_at: now })
      .where('id', '=', id)
      .where('state', 'not in', ['succeeded', 'failed', 'cancelled'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Open runs none of whose tasks is left to finish: their last task ended but nobody settled them (the
   * coordinator that ended it stopped first, or its after-commit probe failed).
   */
  async drainedOpenRunIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('runs')
      .select('id')
      .where('state', 'in', ['queued', 'running'])
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('tasks')
              .select('tasks.id')
              .whereRef('tasks.run_id', '=', 'runs.id')
              .where('tasks.state', 'in', ['queued', ...ACTIVE_TASK_STATES]),
          ),
        ),
      )
      .execute();
    return rows.map((r) => r.id);
  }

  async unfinishedRunIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('runs')
      .select('id')
      .where('state', 'in', ['queued', 'running'])
      .execute();
    return rows.map((r) => r.id);
  }

  private toRun(row: RunTable, tasks: TaskCounts = { total: 0, succeeded: 0, failed: 0 }): Run {
    const request = JSON.parse(row.request_json) as RunRequest;
    return {
      id: row.id,
      name: row.name,
      state: RUN_STATES[row.state as RunStatus] ?? RunState.RUN_STATE_UNSPECIFIED,
      createdAtMs: String(row.created_at),
      finishedAtMs: String(row.finished_at ?? 0),
      models: request.models,
      target: { ...request.target, runtimes: request.target.runtimes ?? [] },
      scenario: request.scenario,
      recipes: request.recipes ?? [],
      kind: RUN_KINDS[row.kind as RunKindName] ?? RunKind.RUN_KIND_ADHOC,
      suite: row.suite ?? '',
      baseline: row.baseline ?? '',
      tasksTotal: tasks.total,
      tasksDone: tasks.succeeded,
      tasksFailed: tasks.failed,
    };
  }
}

export function toTask(row: TaskTable): Task {
  return {
    id: row.id,
    runId: row.run_id,
    modelSha256: row.model_sha256,
    modelName: row.model_name,
    variant: row.variant,
    agentId: row.agent_id ?? '',
    ep: row.ep,
    state: TASK_STATES[row.state as TaskStatus] ?? TaskState.TASK_STATE_UNSPECIFIED,
    attempt: row.attempt,
    error: row.error ?? '',
    createdAtMs: String(row.created_at),
    startedAtMs: String(row.started_at ?? 0),
    finishedAtMs: String(row.finished_at ?? 0),
    variantSha256: row.variant_sha256 ?? row.model_sha256,
    runtime: row.runtime,
    side: row.side ?? '',
    round: row.round ?? 0,
  };
}

async function insertTasks(
  trx: Transaction<Database>,
  runId: string,
  tasks: NewTask[],
  firstSeq: number,
  now: number,
): Promise<void> {
  for (const query of taskInserts(trx, runId, tasks, firstSeq, now)) {
    await trx.executeQuery(query);
  }
}

/** The INSERTs of a run's new tasks, compiled. */
function taskInserts(
  db: Kysely<Database>,
  runId: string,
  tasks: NewTask[],
  firstSeq: number,
  now: number,
): CompiledQuery[] {
  const rows = tasks.map((t, i) => ({
    id: t.id,
    run_id: runId,
    seq: firstSeq + i,
    model_sha256: t.modelSha256,
    model_name: t.modelName,
    variant: t.variant,
    agent_id: t.agentId,
    ep: t.ep,
    variant_sha256: t.variantSha256,
    runtime: t.runtime,
    reference_sha256: t.reference?.sha256 ?? null,
    reference_runtime: t.reference?.runtime ?? null,
    reference_label: t.reference?.label ?? null,
    side: t.side ?? null,
    round: t.round ?? null,
    state: 'queued',
    attempt: 1,
    created_at: now,
  }));
  // A run on a thousand agents has thousands of tasks: one statement would pass SQLite's 32,766 and
  // PostgreSQL's 65,535 bound parameters (18 per row), so rows go in batches, in the same transaction.
  const queries: CompiledQuery[] = [];
  for (let start = 0; start < rows.length; start += TASK_INSERT_BATCH) {
    queries.push(
      db
        .insertInto('tasks')
        .values(rows.slice(start, start + TASK_INSERT_BATCH))
        .compile(),
    );
  }
  return queries;
}
