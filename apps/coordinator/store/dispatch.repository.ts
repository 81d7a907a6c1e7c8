import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { DATABASE } from './database.tokens.js';
import { type Db, dialectOf } from './database.js';
import type { Database, TaskTable } from './database.types.js';
import { ACTIVE_TASK_STATES, FINISHED_TASK_STATES } from './run.repository.js';

export interface Pick {
  taskId: string;
  agentId: string;
}

/** Decides which of the oldest queued tasks go to which idle agent; may read more inside the transaction. */
export type Chooser = (queued: TaskTable[], trx: Transaction<Database>) => Promise<Pick[]>;

const UNFINISHED: string[] = ['queued', ...ACTIVE_TASK_STATES];

/** The queries of the dispatch path, shaped for a thousand agents and several replicas on one database. */
@Injectable()
export class DispatchRepository {
  private readonly postgres: boolean;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    this.postgres = dialectOf(db) === 'postgres';
  }

  /**
   * Leases queued tasks to idle agents in one transaction: the oldest `limit` queued tasks that are
   * unbound or bound to one of `agentIds`, read with FOR UPDATE SKIP LOCKED on PostgreSQL, so replicas
   * sweeping at the same moment each take different rows and none waits for another. (SQLite has one
   * writer, so its transaction alone is enough.) Returns the leased rows.
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
    return this.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('tasks')
        .selectAll()
        .where('state', '=', 'queued')
        .where((eb) => eb.or([eb('agent_id', 'is', null), eb('agent_id', 'in', agentIds)]))
        .orderBy('created_at')
        .orderBy('seq')
        .orderBy('id')
        .limit(limit);
      if (this.postgres) {
        query = query.forUpdate().skipLocked();
      }
      const queued = await query.execute();
      const picks = queued.length > 0 ? await choose(queued, trx) : [];
      if (picks.length === 0) {
        return [];
      }
      // One statement for the whole batch; the state check keeps it a compare-and-set on SQLite too.
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

  /** queued → running for the run's first lease; false when it had started (or ended) already. */
  async markRunStarted(runId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set({ state: 'running', started_at: now })
      .where('id', '=', runId)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The task's new row, or undefined when it had finished already (its end never changes). */
  async finishTask(
    id: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    now: number,
    error: string | null,
  ): Promise<TaskTable | undefined> {
    return this.db
      .updateTable('tasks')
      .set({ state, finished_at: now, error, lease_expires_at: null })
      .where('id', '=', id)
      .where('state', 'not in', FINISHED_TASK_STATES)
      .returningAll()
      .executeTakeFirst();
  }

  /** One index probe (tasks_run_state), asked after every result. */
  async hasUnfinishedTasks(runId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('tasks')
      .select('id')
      .where('run_id', '=', runId)
      .where('state', 'in', UNFINISHED)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
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
      .where('tasks.state', '=', 'queued')
      .where('tasks.agent_id', 'is not', null)
      .where((eb) => eb.or([eb('agents.last_seen_at', 'is', null), eb('agents.last_seen_at', '<', cutoff)]))
      .execute();
    return rows.map((r) => ({ agentId: r.agentId!, name: r.name, lastSeenAt: r.lastSeenAt }));
  }

  async queuedTasksBoundTo(agentId: string): Promise<TaskTable[]> {
    return this.db
      .selectFrom('tasks')
      .selectAll()
      .where('state', '=', 'queued')
      .where('agent_id', '=', agentId)
      .execute();
  }
}
