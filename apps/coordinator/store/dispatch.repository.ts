import { Inject, Injectable, Optional } from '@nestjs/common';
import { type CompiledQuery, type Kysely, type SelectQueryBuilder, type Transaction, sql } from 'kysely';
import { DATABASE } from './database.tokens.js';
import { type Db, dialectOf } from './database.js';
import type { Database, TaskTable } from './database.types.js';
import { ACTIVE_TASK_STATES, FINISHED_TASK_STATES, TASK_IS_QUEUED } from './run.repository.js';
import { WriteBatcher } from './write-batcher.js';
import { queryTemplate } from './query-template.js';
import { type BulkForm, type LockForm, type WriteStep, unnestOf } from './bulk-write.js';

export interface Pick {
  taskId: string;
  agentId: string;
}

/**
 * Decides which of the oldest queued tasks go to which of the `free` idle agents; may read more through
 * `db` (inside the lease transaction where there is one).
 */
export type Chooser = (queued: TaskTable[], db: Kysely<Database>, free: readonly string[]) => Promise<Pick[]>;

const UNFINISHED: string[] = ['queued', ...ACTIVE_TASK_STATES];

type QueuedQuery = SelectQueryBuilder<Database, 'tasks', TaskTable>;

function oldestFirst(a: TaskTable, b: TaskTable): number {
  return a.created_at - b.created_at || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The statements of every task, built once (query-template.ts). */
function templatesOf(db: Db) {
  return {
    finish: queryTemplate(
      db,
      4,
      (id: string, state: 'succeeded' | 'failed' | 'cancelled', now: number, error: string | null) =>
        db
          .updateTable('tasks')
          .set({ state, finished_at: now, error, lease_expires_at: null })
          .where('id', '=', id)
          .where('state', 'not in', FINISHED_TASK_STATES)
          .returningAll(),
    ),
    running: queryTemplate(db, 4, (id: string, attempt: number, now: number, leaseExpiresAt: number) =>
      db
        .updateTable('tasks')
        .set({ state: 'running', started_at: now, lease_expires_at: leaseExpiresAt })
        .where('id', '=', id)
        .where('attempt', '=', attempt)
        .where('state', 'in', ACTIVE_TASK_STATES)
        .returningAll(),
    ),
    unfinished: queryTemplate(db, 1, (runId: string) =>
      db
        .selectFrom('tasks')
        .select('id')
        .where('run_id', '=', runId)
        .where('state', 'in', UNFINISHED)
        .limit(1),
    ),
    runStarted: queryTemplate(db, 2, (runId: string, now: number) =>
      db
        .updateTable('runs')
        .set({ state: 'running', started_at: now })
        .where('id', '=', runId)
        .where('state', '=', 'queued'),
    ),
    /** SQLite only (see leaseOneQuery). */
    leaseOne: queryTemplate(db, 3, (taskId: string, agentId: string, leaseExpiresAt: number) => ({
      compile: () =>
        sql<TaskTable>`
          UPDATE tasks SET state = 'leased', lease_expires_at = ${leaseExpiresAt}, agent_id = ${agentId}
          WHERE id = ${taskId} AND state = 'queued' RETURNING *`.compile(db),
    })),
  };
}

/** PostgreSQL: the task statements of a write batch's jobs as one statement each (bulk-write.ts). */
function bulkFormsOf(db: Db) {
  const byId = (row: Record<string, unknown>) => String(row.id);
  const firstColumn = (row: readonly unknown[]) => String(row[0]);
  return {
    /** Rows: (id, state, now, error). */
    finish: {
      name: 'finish tasks',
      compile: (rows) =>
        sql`
          UPDATE tasks AS t
          SET state = v.state, finished_at = v.now, error = v.error, lease_expires_at = NULL
          FROM ${unnestOf(rows, ['text', 'text', 'bigint', 'text'])} AS v(id, state, now, error)
          WHERE t.id = v.id COLLATE "C" AND t.state NOT IN (${sql.join(FINISHED_TASK_STATES)})
          RETURNING t.*`.compile(db),
      keyOfInput: firstColumn,
      keyOfOutput: byId,
    } satisfies BulkForm,
    /** Rows: (id, attempt, now, leaseExpiresAt). */
    running: {
      name: 'mark tasks running',
      compile: (rows) =>
        sql`
          UPDATE tasks AS t
          SET state = 'running', started_at = v.now, lease_expires_at = v.lease
          FROM ${unnestOf(rows, ['text', 'integer', 'bigint', 'bigint'])} AS v(id, attempt, now, lease)
          WHERE t.id = v.id COLLATE "C" AND t.attempt = v.attempt AND t.state IN (${sql.join(ACTIVE_TASK_STATES)})
          RETURNING t.*`.compile(db),
      keyOfInput: firstColumn,
      keyOfOutput: byId,
    } satisfies BulkForm,
    /** Tasks a batch ends or starts, locked first in id order (bulk-write.ts lockInKeyOrder). */
    lock: {
      name: 'lock tasks',
      compile: (ids) =>
        sql`
          SELECT t.id FROM tasks AS t
          WHERE t.id = ANY(${[...ids]}::text[])
          ORDER BY t.id COLLATE "C"
          FOR NO KEY UPDATE`.compile(db),
    } satisfies LockForm,
    /** Rows: (runId). A read: which of the runs have a task left. */
    unfinished: {
      name: 'runs with unfinished tasks',
      read: true,
      compile: (rows) =>
        sql`
          SELECT r.id FROM ${unnestOf(rows, ['text'])} AS r(id)
          WHERE EXISTS (
            SELECT 1 FROM tasks WHERE run_id = r.id COLLATE "C" AND state IN (${sql.join(UNFINISHED)})
          )`.compile(db),
      keyOfInput: firstColumn,
      keyOfOutput: byId,
    } satisfies BulkForm,
  };
}

/** The queries of the dispatch path, shaped for a thousand agents and several replicas on one database. */
@Injectable()
export class DispatchRepository {
  private readonly postgres: boolean;
  /**
   * How many sweeps of one coordinator may lease at once, each to different agents. PostgreSQL: as many
   * as replicas' sweeps do side by side already (SKIP LOCKED keeps them apart), a few, so that a freed
   * agent need not wait for the sweep under way, a round trip through a busy event loop (at a thousand
   * agents one sweep after the other kept the sweeps busy 80-90 % of the time and agents waited in
   * line: scripts/bench-scale.ts). SQLite: one, its leases are the writer thread's turns anyway.
   */
  readonly sweepsAtOnce: number;
  private readonly q: ReturnType<typeof templatesOf>;
  private readonly bulk?: ReturnType<typeof bulkFormsOf>;

  /**
   * `writes`: SQLite's lease compare-and-sets go through it to the writer thread (sqlite-writer.ts);
   * without it (tests of the queries alone) they run on this connection.
   */
  constructor(
    @Inject(DATABASE) private readonly db: Db,
    @Optional() private readonly writes?: WriteBatcher,
  ) {
    this.postgres = dialectOf(db) === 'postgres';
    this.sweepsAtOnce = this.postgres ? 3 : 1;
    this.q = templatesOf(db);
    this.bulk = this.postgres ? bulkFormsOf(db) : undefined;
  }

  /**
   * Leases queued tasks to idle agents in one transaction: the oldest `limit` queued tasks that are
   * unbound or bound to one of `agentIds`, read with FOR UPDATE SKIP LOCKED on PostgreSQL, so replicas
   * sweeping at the same moment each take different rows and none waits for another. (SQLite has one
   * writer, so its transaction alone is enough.) On PostgreSQL the agents whose oldest bound task comes
   * before every unbound one get it first, in one statement (leaseOldestBound); only the others go
   * through that transaction and the chooser. Returns the leased rows.
   */
  async leaseQueued(
    agentIds: string[],
    limit: number,
    leaseExpiresAt: number,
    choose: Chooser,
  ): Promise<TaskTable[]> {
    if (agentIds.length === 0) {
      return [];
    }
    if (!this.postgres && this.writes) {
      return this.leaseOnWriter(this.writes, agentIds, limit, leaseExpiresAt, choose);
    }
    if (!this.postgres) {
      return this.leaseInTransaction(agentIds, limit, leaseExpiresAt, choose);
    }
    const quick = await this.leaseOldestBound(agentIds, leaseExpiresAt);
    if (quick.length === agentIds.length) {
      return quick;
    }
    const leasedTo = new Set(quick.map((t) => t.agent_id));
    const rest = agentIds.filter((id) => !leasedTo.has(id));
    return [...quick, ...(await this.leaseInTransaction(rest, limit, leaseExpiresAt, choose))];
  }

  /**
   * PostgreSQL, one statement and so one round trip: each agent's oldest bound task, for the agents
   * whose bound task is older than every unbound queued task. Those are exactly the leases the chooser
   * would make (oldest first, a bound task goes to its idle agent), so it is not asked. Agents left
   * without a lease go through leaseInTransaction. Why: that transaction is six round trips (BEGIN, SET,
   * two reads, the UPDATE, COMMIT), one sweep at a time per replica, and at a thousand agents the
   * freed agents waited for it: p99 dispatch latency 400-600 ms (scripts/bench-scale.ts).
   */
  private async leaseOldestBound(agentIds: string[], leaseExpiresAt: number): Promise<TaskTable[]> {
    // set_config(..., true) is SET LOCAL for this statement's own transaction: a lost lease costs
    // nothing, so its commit need not wait for the WAL flush (as in leaseInTransaction).
    const { rows } = await sql<TaskTable>`
      WITH quick_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
      oldest_unbound AS MATERIALIZED (
        SELECT created_at, seq, id FROM tasks
        WHERE state = 'queued' AND agent_id IS NULL
        ORDER BY created_at, seq, id
        LIMIT 1
      ),
      bound AS MATERIALIZED (
        SELECT t.id FROM unnest(${agentIds}::text[]) AS a(id)
        CROSS JOIN LATERAL (
          SELECT id, created_at, seq FROM tasks
          WHERE state = 'queued' AND agent_id = a.id COLLATE "C"
          ORDER BY created_at, seq, id
          LIMIT 1
          FOR UPDATE SKIP LOCKED
        ) AS t
        WHERE NOT EXISTS (
          SELECT 1 FROM oldest_unbound u
          WHERE (u.created_at, u.seq, u.id COLLATE "C") < (t.created_at, t.seq, t.id COLLATE "C")
        )
      )
      UPDATE tasks SET state = 'leased', lease_expires_at = ${leaseExpiresAt}
      FROM bound, quick_commit
      WHERE tasks.id = bound.id AND tasks.state = 'queued'
      RETURNING tasks.*`.execute(this.db);
    return rows;
  }

  /** The sweep as one transaction: the oldest queued rows read and locked, the chooser's picks leased. */
  private leaseInTransaction(
    agentIds: string[],
    limit: number,
    leaseExpiresAt: number,
    choose: Chooser,
  ): Promise<TaskTable[]> {
    return this.db.transaction().execute(async (trx) => {
      if (this.postgres) {
        // A lost lease costs nothing (it expires and the task is leased again), so this transaction
        // need not wait for the WAL flush; results and run ends keep the server's durable commit.
        await sql`SET LOCAL synchronous_commit = off`.execute(trx);
      }
      // Index range scans (tasks_queued: agent_id, created_at, seq) instead of one OR that
      // would walk every queued task of the farm to find the few bound to these agents.
      const bound = await this.oldestBoundPerAgent(trx, agentIds);
      const unbound = await this.queuedOldestFirst(trx, limit, (q) => q.where('agent_id', 'is', null));
      const queued = [...bound, ...unbound].sort(oldestFirst).slice(0, limit);
      const picks = queued.length > 0 ? await choose(queued, trx, agentIds) : [];
      if (picks.length === 0) {
        return [];
      }
      if (!this.postgres) {
        const leased: TaskTable[] = [];
        for (const p of picks) {
          leased.push(...(await trx.executeQuery(this.leaseOneQuery(p, leaseExpiresAt))).rows);
        }
        return leased;
      }
      // One statement for the whole batch: one round trip. The state check keeps it a compare-and-set.
      return trx
        .updateTable('tasks')
        .set((eb) => {
          const [first, ...rest] = picks;
          let agent = eb.case().when('id', '=', first!.taskId).then(first!.agentId);
          for (const p of rest) {
            agent = agent.when('id', '=', p.taskId).then(p.agentId);
          }
          return { state: 'leased', lease_expires_at: leaseExpiresAt, agent_id: agent.end() };
        })
        .where(
          'id',
          'in',
          picks.map((p) => p.taskId),
        )
        .where('state', '=', 'queued')
        .returningAll()
        .execute();
    });
  }

  /**
   * SQLite with its writer thread: the queued rows are read here (WAL: no wait for the writer), and each
   * pick is a compare-and-set in one write job, so a task taken meanwhile is simply not leased. There is
   * one writer, so nothing else can interleave inside the job.
   */
  private async leaseOnWriter(
    writes: WriteBatcher,
    agentIds: string[],
    limit: number,
    leaseExpiresAt: number,
    choose: Chooser,
  ): Promise<TaskTable[]> {
    const bound = await this.oldestBoundPerAgent(this.db, agentIds);
    const unbound = await this.queuedOldestFirst(this.db, limit, (q) => q.where('agent_id', 'is', null));
    const queued = [...bound, ...unbound].sort(oldestFirst).slice(0, limit);
    const picks = queued.length > 0 ? await choose(queued, this.db, agentIds) : [];
    if (picks.length === 0) {
      return [];
    }
    const outcomes = await writes.write(
      picks.map((p) => ({ query: this.leaseOneQuery(p, leaseExpiresAt) })),
      { urgent: true },
    );
    return outcomes.flatMap((outcome) => (outcome?.rows ?? []) as TaskTable[]);
  }

  /**
   * SQLite, one pick: no round trips to save, and one UPDATE ... CASE over a sweep's rows cost 2-3 ms
   * (bench-scale --sql-prof) against ~30 µs for each row's own compiled statement.
   */
  private leaseOneQuery(pick: Pick, leaseExpiresAt: number): CompiledQuery<TaskTable> {
    return this.q.leaseOne(pick.taskId, pick.agentId, leaseExpiresAt);
  }

  /**
   * The oldest queued task bound to each agent. PostgreSQL: one index probe and one row lock per agent.
   * (FOR UPDATE on every queued row of hundreds of agents, to keep one each, dirtied pages by the
   * thousand per sweep.) Explicit collation: the column's "C" against the array's default.
   */
  private async oldestBoundPerAgent(trx: Kysely<Database>, agentIds: string[]): Promise<TaskTable[]> {
    if (!this.postgres) {
      // SQLite takes no row locks: the first row per agent by a window over the agents' queued rows.
      const { rows } = await sql<TaskTable & { pick: number }>`
        SELECT * FROM (
          SELECT *, row_number() OVER (PARTITION BY agent_id ORDER BY created_at, seq, id) AS pick
          FROM tasks WHERE state = 'queued' AND agent_id IN (${sql.join(agentIds)})
        ) WHERE pick = 1`.execute(trx);
      return rows.map(({ pick: _, ...task }) => task);
    }
    const { rows } = await sql<TaskTable>`
      SELECT t.* FROM unnest(${agentIds}::text[]) AS a(id)
      CROSS JOIN LATERAL (
        SELECT * FROM tasks
        WHERE state = 'queued' AND agent_id = a.id COLLATE "C"
        ORDER BY created_at, seq, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) AS t`.execute(trx);
    return rows;
  }

  private queuedOldestFirst(
    trx: Kysely<Database>,
    limit: number,
    which: (q: QueuedQuery) => QueuedQuery,
  ): Promise<TaskTable[]> {
    let query = which(trx.selectFrom('tasks').selectAll().where(TASK_IS_QUEUED))
      .orderBy('created_at')
      .orderBy('seq')
      .orderBy('id')
      .limit(limit);
    if (this.postgres) {
      query = query.forUpdate().skipLocked();
    }
    return query.execute();
  }

  /** queued → running for the run's first lease; false when it had started (or ended) already. */
  async markRunStarted(runId: string, now: number): Promise<boolean> {
    const query = this.q.runStarted(runId, now);
    if (this.writes) {
      // On SQLite a write on the coordinator's own connection waits in SQLite's busy handler, blocking
      // its thread, while the writer thread commits.
      const [outcome] = await this.writes.write([{ query }]);
      return (outcome?.changes ?? 0) > 0;
    }
    const result = await this.db.executeQuery(query);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** The task's new row, or undefined when it had finished already (its end never changes). */
  async finishTask(
    id: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    now: number,
    error: string | null,
    trx?: Transaction<Database>,
  ): Promise<TaskTable | undefined> {
    const { rows } = await (trx ?? this.db).executeQuery(this.finishTaskQuery(id, state, now, error));
    return rows[0];
  }

  /** finishTask compiled, for a write job (write-batcher.ts): returns the new row, or nothing. */
  finishTaskQuery(
    id: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    now: number,
    error: string | null,
  ): CompiledQuery<TaskTable> {
    return this.q.finish(id, state, now, error);
  }

  /** finishTask as a write job's step. */
  finishTaskStep(
    id: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    now: number,
    error: string | null,
  ): WriteStep {
    return {
      query: this.finishTaskQuery(id, state, now, error),
      bulk: this.bulk && { form: this.bulk.finish, rows: [[id, state, now, error]] },
      locks: this.bulk && { form: this.bulk.lock, keys: [id] },
    };
  }

  /** leased → running when the agent says it started; the new row, or undefined if the lease moved on. */
  async markTaskRunning(
    id: string,
    attempt: number,
    now: number,
    leaseExpiresAt: number,
  ): Promise<TaskTable | undefined> {
    const { rows } = await this.db.executeQuery(this.markTaskRunningQuery(id, attempt, now, leaseExpiresAt));
    return rows[0];
  }

  /** markTaskRunning compiled, for a write job: returns the new row, or nothing if the lease moved on. */
  markTaskRunningQuery(
    id: string,
    attempt: number,
    now: number,
    leaseExpiresAt: number,
  ): CompiledQuery<TaskTable> {
    return this.q.running(id, attempt, now, leaseExpiresAt);
  }

  /** markTaskRunning as a write job's step. */
  markTaskRunningStep(id: string, attempt: number, now: number, leaseExpiresAt: number): WriteStep {
    return {
      query: this.markTaskRunningQuery(id, attempt, now, leaseExpiresAt),
      bulk: this.bulk && { form: this.bulk.running, rows: [[id, attempt, now, leaseExpiresAt]] },
      locks: this.bulk && { form: this.bulk.lock, keys: [id] },
    };
  }

  /** One index probe (tasks_run_state), asked after every result. */
  async hasUnfinishedTasks(runId: string): Promise<boolean> {
    const { rows } = await this.db.executeQuery(this.unfinishedTaskQuery(runId));
    return rows.length > 0;
  }

  /** hasUnfinishedTasks compiled, for a write job: one row if the run has a task left to finish. */
  unfinishedTaskQuery(runId: string): CompiledQuery {
    return this.q.unfinished(runId);
  }

  /**
   * hasUnfinishedTasks as a write job's step (one row if the run has a task left), asked after the job's
   * commit (see WriteStep.afterCommit).
   */
  unfinishedTaskStep(runId: string): WriteStep {
    return {
      query: this.unfinishedTaskQuery(runId),
      bulk: this.bulk && { form: this.bulk.unfinished, rows: [[runId]] },
      afterCommit: true,
    };
  }

  /**
   * Agents that queued bound tasks wait for and that no replica has heard from since `cutoff`, with their
   * last message time (null: never seen).
   */
  async silentAgentsWithQueuedTasks(
    cutoff: number,
  ): Promise<{ agentId: string; name: string | null; lastSeenAt: number | null }[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .leftJoin('agents', 'agents.id', 'tasks.agent_id')
      .select(['tasks.agent_id as agentId', 'agents.name as name', 'agents.last_seen_at as lastSeenAt'])
      .distinct()
      .where(TASK_IS_QUEUED)
      .where('tasks.agent_id', 'is not', null)
      .where((eb) => eb.or([eb('agents.last_seen_at', 'is', null), eb('agents.last_seen_at', '<', cutoff)]))
      .execute();
    return rows.map((r) => ({ agentId: r.agentId!, name: r.name, lastSeenAt: r.lastSeenAt }));
  }

  async queuedTasksBoundTo(agentId: string): Promise<TaskTable[]> {
    return this.db
      .selectFrom('tasks')
      .selectAll()
      .where(TASK_IS_QUEUED)
      .where('agent_id', '=', agentId)
      .execute();
  }
}
