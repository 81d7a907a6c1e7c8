import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The dispatch queue and the lease checks as partial indexes, holding only the tasks they look for.
 *
 * tasks_queue (state, agent_id, created_at, seq) held every task, finished ones too, and each of the three
 * state changes of a task moved its entry to another place keyed by a random agent id: two scattered
 * index pages dirtied per change, written again at every commit. Now a task is in tasks_queued while queued
 * (one delete when it is leased) and in tasks_active while leased or running, keyed by its lease expiry,
 * which only grows, so those writes stay on the few newest pages. Finished tasks are in neither.
 *
 * Queries must spell the predicates as these literals (state = 'queued', state IN ('leased', 'running'))
 * for SQLite to pick a partial index; a bound parameter would not match.
 */
export const partialTaskIndexesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('tasks_queued')
      .on('tasks')
      .columns(['agent_id', 'created_at', 'seq'])
      .where(sql.ref('state'), '=', sql.lit('queued'))
      .execute();
    await db.schema
      .createIndex('tasks_active')
      .on('tasks')
      .column('lease_expires_at')
      .where(sql<boolean>`state IN ('leased', 'running')`)
      .execute();
    await db.schema.dropIndex('tasks_queue').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('tasks_queue')
      .on('tasks')
      .columns(['state', 'agent_id', 'created_at', 'seq'])
      .execute();
    await db.schema.dropIndex('tasks_active').execute();
    await db.schema.dropIndex('tasks_queued').execute();
  },
};
