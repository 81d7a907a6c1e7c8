import { Inject, Injectable } from '@nestjs/common';
import { type CompiledQuery, sql } from 'kysely';
import type { ExecutionProvider, Fingerprint, Label, Runtime } from '#contracts';
import { DATABASE } from './database.tokens.js';
import { queryTemplate } from './query-template.js';
import { type Db, dialectOf } from './database.js';
import { type BulkForm, type WriteStep, unnestOf } from './bulk-write.js';

export interface AgentRecord {
  id: string;
  name: string;
  labels: Label[];
  fingerprint: Fingerprint;
  executionProviders: ExecutionProvider[];
  runtimes: Runtime[];
  firstSeenAt: number;
  lastSeenAt: number;
}

@Injectable()
export class AgentRepository {
  private readonly touchTemplate: (id: string, at: number) => CompiledQuery;
  /** PostgreSQL: a write batch's touches as one UPDATE (bulk-write.ts). */
  private readonly touchMany?: BulkForm;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    this.touchTemplate = queryTemplate(db, 2, (id: string, at: number) =>
      db.updateTable('agents').set({ last_seen_at: at }).where('id', '=', id),
    );
    if (dialectOf(db) === 'postgres') {
      this.touchMany = {
        name: 'touch agents',
        compile: (rows) =>
          // An agent twice in one batch: its latest time (an UPDATE ... FROM takes an arbitrary one).
          // SKIP LOCKED: an agent row another lane's batch holds keeps its mark until the next heartbeat
          // (seconds, against minutes before an agent counts as lost), instead of a wait that can close a
          // deadlock between two lanes touching the same agents in different orders.
          sql`
            WITH touchable AS (
              SELECT a.id, v.at
              FROM (SELECT id, max(at) AS at FROM ${unnestOf(rows, ['text', 'bigint'])} AS u(id, at) GROUP BY id) AS v
              JOIN agents AS a ON a.id = v.id COLLATE "C"
              FOR NO KEY UPDATE OF a SKIP LOCKED
            )
            UPDATE agents AS a SET last_seen_at = touchable.at
            FROM touchable
            WHERE a.id = touchable.id
            RETURNING a.id`.compile(db),
        keyOfInput: (row) => String(row[0]),
        keyOfOutput: (row) => String(row.id),
      };
    }
  }

  async upsert(agent: Omit<AgentRecord, 'firstSeenAt'>): Promise<void> {
    await this.db
      .insertInto('agents')
      .values({
        id: agent.id,
        name: agent.name,
        labels_json: JSON.stringify(agent.labels),
        fingerprint_json: JSON.stringify(agent.fingerprint),
        eps_json: JSON.stringify(agent.executionProviders),
        runtimes_json: JSON.stringify(agent.runtimes),
        first_seen_at: agent.lastSeenAt,
        last_seen_at: agent.lastSeenAt,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          name: agent.name,
          labels_json: JSON.stringify(agent.labels),
          fingerprint_json: JSON.stringify(agent.fingerprint),
          eps_json: JSON.stringify(agent.executionProviders),
          runtimes_json: JSON.stringify(agent.runtimes),
          last_seen_at: agent.lastSeenAt,
        }),
      )
      .execute();
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.executeQuery(this.touchTemplate(id, at));
  }

  /** touch as a write job's step; its own commit on PostgreSQL (see WriteStep.ownCommit). */
  touchStep(id: string, at: number): WriteStep {
    return {
      ownCommit: true,
      query: this.touchTemplate(id, at),
      bulk: this.touchMany && { form: this.touchMany, rows: [[id, at]] },
    };
  }

  async list(): Promise<AgentRecord[]> {
    const rows = await this.db
      .selectFrom('agents')
      .selectAll()
      .orderBy('first_seen_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      labels: JSON.parse(row.labels_json) as Label[],
      fingerprint: JSON.parse(row.fingerprint_json) as Fingerprint,
      executionProviders: JSON.parse(row.eps_json) as ExecutionProvider[],
      runtimes: JSON.parse(row.runtimes_json) as Runtime[],
      firstSeenAt: Number(row.first_seen_at),
      lastSeenAt: Number(row.last_seen_at),
    }));
  }
}
