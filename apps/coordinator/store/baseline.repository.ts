import { Inject, Injectable } from '@nestjs/common';
import type { BaselineEntry } from '#contracts';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';
import type { BaselineTable } from './database.types.js';

const toEntry = (row: BaselineTable): BaselineEntry => ({
  suite: row.suite,
  name: row.name,
  fingerprint: row.fingerprint,
  model: row.model,
  modelSha256: row.model_sha256,
  runId: row.run_id,
  acceptedAtMs: String(row.accepted_at),
});

/** Named baselines per (suite, fingerprint, model): a baseline never crosses machines. */
@Injectable()
export class BaselineRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  /** Accepting again replaces the entry for the same (suite, name, fingerprint, model). */
  async accept(entries: BaselineEntry[], now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const e of entries) {
        await trx
          .insertInto('baselines')
          .values({
            suite: e.suite,
            name: e.name,
            fingerprint: e.fingerprint,
            model: e.model,
            model_sha256: e.modelSha256,
            run_id: e.runId,
            accepted_at: now,
          })
          .onConflict((oc) =>
            oc.columns(['suite', 'name', 'fingerprint', 'model']).doUpdateSet({
              model_sha256: e.modelSha256,
              run_id: e.runId,
              accepted_at: now,
            }),
          )
          .execute();
      }
    });
  }

  async find(suite: string, name: string, fingerprint: string): Promise<BaselineEntry[]> {
    const rows = await this.db
      .selectFrom('baselines')
      .selectAll()
      .where('suite', '=', suite)
      .where('name', '=', name)
      .where('fingerprint', '=', fingerprint)
      .orderBy('model')
      .execute();
    return rows.map(toEntry);
  }

  async list(suite: string): Promise<BaselineEntry[]> {
    let query = this.db.selectFrom('baselines').selectAll();
    if (suite) {
      query = query.where('suite', '=', suite);
    }
    const rows = await query
      .orderBy('suite')
      .orderBy('name')
      .orderBy('fingerprint')
      .orderBy('model')
      .execute();
    return rows.map(toEntry);
  }
}
