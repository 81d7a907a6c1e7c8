import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';
import { TASK_IS_ACTIVE } from './run.repository.js';

export interface Presence {
  replicaId: string;
  lastSeenAt: number;
}

/**
 * Which replica holds each agent's stream. A replica that dies cannot clear its marks, so a mark only
 * counts while the agent's heartbeats keep its last_seen_at fresh.
 */
@Injectable()
export class AgentPresenceRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  async claim(agentId: string, replicaId: string): Promise<void> {
    await this.db.updateTable('agents').set({ replica_id: replicaId }).where('id', '=', agentId).execute();
  }

  /** Only this replica's own mark: the agent may have moved to another replica already. */
  async release(agentId: string, replicaId: string): Promise<void> {
    await this.db
      .updateTable('agents')
      .set({ replica_id: null })
      .where('id', '=', agentId)
      .where('replica_id', '=', replicaId)
      .execute();
  }

  /** Agents connected to some replica and heard from since `freshSince`. */
  async connected(freshSince: number): Promise<Map<string, Presence>> {
    const rows = await this.db
      .selectFrom('agents')
      .select(['id', 'replica_id', 'last_seen_at'])
      .where('replica_id', 'is not', null)
      .where('last_seen_at', '>=', freshSince)
      .execute();
    return new Map(rows.map((r) => [r.id, { replicaId: r.replica_id!, lastSeenAt: r.last_seen_at }]));
  }

  /** agent id → the task it holds a lease on (leased or running). */
  async runningTasks(): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['id', 'agent_id'])
      .where(TASK_IS_ACTIVE)
      .where('agent_id', 'is not', null)
      .execute();
    // Sorted here: an ORDER BY id made SQLite walk the whole table by its key instead of tasks_active.
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return new Map(rows.map((r) => [r.agent_id!, r.id]));
  }
}
