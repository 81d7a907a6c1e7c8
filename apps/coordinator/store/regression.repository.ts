import { Inject, Injectable } from '@nestjs/common';
import { type Regression, RegressionStatus } from '#contracts';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';
import type { RegressionTable } from './database.types.js';
import type { SeriesKey } from './series.repository.js';

export type RegressionStatusName = 'open' | 'acknowledged' | 'muted';

const STATUSES: Record<RegressionStatusName, RegressionStatus> = {
  open: RegressionStatus.REGRESSION_STATUS_OPEN,
  acknowledged: RegressionStatus.REGRESSION_STATUS_ACKNOWLEDGED,
  muted: RegressionStatus.REGRESSION_STATUS_MUTED,
};

export interface NewRegression extends SeriesKey {
  id: string;
  source: 'gate' | 'nightly';
  runId: string;
  before: number;
  after: number;
  relativeChange: number;
  pValue: number;
  runsBefore: string[];
  runsAfter: string[];
  dedupeKey: string;
}

export function toRegression(row: RegressionTable): Regression {
  return {
    id: row.id,
    suite: row.suite,
    model: row.model,
    variant: row.variant,
    metric: row.metric,
    fingerprint: row.fingerprint,
    source: row.source,
    runId: row.run_id,
    before: row.before,
    after: row.after,
    relativeChange: row.relative_change,
    pValue: row.p_value,
    detectedAtMs: String(row.detected_at),
    status: STATUSES[row.status as RegressionStatusName] ?? RegressionStatus.REGRESSION_STATUS_UNSPECIFIED,
    note: row.note,
    runsBefore: JSON.parse(row.runs_before_json) as string[],
    runsAfter: JSON.parse(row.runs_after_json) as string[],
  };
}

@Injectable()
export class RegressionRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  /** Returns false when the same change (dedupe key) was already recorded. */
  async insert(r: NewRegression, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('regressions')
      .values({
        id: r.id,
        suite: r.suite,
        model: r.model,
        variant: r.variant,
        metric: r.metric,
        fingerprint: r.fingerprint,
        source: r.source,
        run_id: r.runId,
        before: r.before,
        after: r.after,
        relative_change: r.relativeChange,
        p_value: Number.isFinite(r.pValue) ? r.pValue : 1,
        detected_at: now,
        status: 'open',
        note: '',
        runs_before_json: JSON.stringify(r.runsBefore),
        runs_after_json: JSON.stringify(r.runsAfter),
        dedupe_key: r.dedupeKey,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * The same change, found again at another run (a nightly change point whose cut moved): where it is
   * and its numbers change; its id, status, note and first detection stay.
   */
  async move(
    id: string,
    r: Omit<NewRegression, 'id' | 'suite' | 'model' | 'variant' | 'metric' | 'fingerprint' | 'source'>,
  ): Promise<void> {
    await this.db
      .updateTable('regressions')
      .set({
        run_id: r.runId,
        before: r.before,
        after: r.after,
        relative_change: r.relativeChange,
        p_value: Number.isFinite(r.pValue) ? r.pValue : 1,
        runs_before_json: JSON.stringify(r.runsBefore),
        runs_after_json: JSON.stringify(r.runsAfter),
        dedupe_key: r.dedupeKey,
      })
      .where('id', '=', id)
      .execute();
  }

  async find(id: string): Promise<RegressionTable | undefined> {
    return this.db.selectFrom('regressions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async setStatus(id: string, status: RegressionStatusName, note: string): Promise<void> {
    await this.db.updateTable('regressions').set({ status, note }).where('id', '=', id).execute();
  }

  async list(filter: {
    suite?: string;
    statuses?: RegressionStatusName[];
    limit: number;
  }): Promise<RegressionTable[]> {
    let query = this.db.selectFrom('regressions').selectAll();
    if (filter.suite) {
      query = query.where('suite', '=', filter.suite);
    }
    if (filter.statuses) {
      if (filter.statuses.length === 0) {
        return []; // `in ()` matches nothing on SQLite and is a syntax error on PostgreSQL
      }
      query = query.where('status', 'in', filter.statuses);
    }
    return query.orderBy('detected_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  }

  /** Series whose regressions someone muted: their verdicts are reported but never fail a gate. */
  async isMuted(key: SeriesKey): Promise<boolean> {
    const row = await this.db
      .selectFrom('regressions')
      .select('id')
      .where('suite', '=', key.suite)
      .where('model', '=', key.model)
      .where('variant', '=', key.variant)
      .where('metric', '=', key.metric)
      .where('fingerprint', '=', key.fingerprint)
      .where('status', '=', 'muted')
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Open nightly regressions of one suite on one fingerprint: while there is one, nightlies are not
   * auto-accepted (acknowledging it accepts the new level). Gate regressions are about a PR, not main.
   */
  async openNightlyCount(suite: string, fingerprint: string): Promise<number> {
    const row = await this.db
      .selectFrom('regressions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('suite', '=', suite)
      .where('fingerprint', '=', fingerprint)
      .where('source', '=', 'nightly')
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
