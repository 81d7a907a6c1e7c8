import { Inject, Injectable } from '@nestjs/common';
import { type Verdict, VerdictOutcome } from '#contracts';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';

/** The latest verdict of each gate run, stored whole (its shape is owned by the contract). */
@Injectable()
export class VerdictRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  async save(verdict: Verdict, now: number): Promise<void> {
    const row = {
      outcome: VerdictOutcome[verdict.outcome],
      verdict_json: JSON.stringify(verdict, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
      ),
      updated_at: now,
    };
    await this.db
      .insertInto('verdicts')
      .values({ run_id: verdict.runId, ...row })
      .onConflict((oc) => oc.column('run_id').doUpdateSet(row))
      .execute();
  }

  async find(runId: string): Promise<Verdict | undefined> {
    const row = await this.db
      .selectFrom('verdicts')
      .select('verdict_json')
      .where('run_id', '=', runId)
      .executeTakeFirst();
    // NaN and infinities were stored as strings ("NaN"); turn them back into numbers.
    return row
      ? (JSON.parse(row.verdict_json, (_k, v: unknown) =>
          v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : v,
        ) as Verdict)
      : undefined;
  }
}
