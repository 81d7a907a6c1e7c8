import { Inject, Injectable } from '@nestjs/common';
import type { Series } from '#contracts';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';

/** One series: a metric of one (model, variant) of a suite on one fingerprint. */
export interface SeriesKey {
  suite: string;
  model: string;
  variant: string;
  metric: string;
  fingerprint: string;
}

export interface NewSeriesPoint extends SeriesKey {
  runId: string;
  taskId: string;
  value: number;
  at: number;
}

export interface StoredPoint {
  runId: string;
  value: number;
  at: number;
}

export const seriesKeyString = (k: SeriesKey): string =>
  [k.suite, k.model, k.variant, k.metric, k.fingerprint].join('\u0000');

@Injectable()
export class SeriesRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  /** Idempotent per (task, metric): re-processing a run after a restart adds nothing twice. */
  async append(points: NewSeriesPoint[]): Promise<void> {
    if (points.length === 0) {
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < points.length; i += 50) {
        await trx
          .insertInto('series_points')
          .values(
            points.slice(i, i + 50).map((p) => ({
              suite: p.suite,
              model: p.model,
              variant: p.variant,
              metric: p.metric,
              fingerprint: p.fingerprint,
              run_id: p.runId,
              task_id: p.taskId,
              value: p.value,
              at: p.at,
            })),
          )
          .onConflict((oc) => oc.columns(['task_id', 'metric']).doNothing())
          .execute();
      }
    });
  }

  /** The newest `limit` points, oldest first. */
  async points(key: SeriesKey, limit: number): Promise<StoredPoint[]> {
    const rows = await this.db
      .selectFrom('series_points')
      .select(['run_id', 'value', 'at'])
      .where('suite', '=', key.suite)
      .where('model', '=', key.model)
      .where('variant', '=', key.variant)
      .where('metric', '=', key.metric)
      .where('fingerprint', '=', key.fingerprint)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => ({ runId: r.run_id, value: r.value, at: r.at }));
  }

  async list(filter: Partial<SeriesKey> & { suite: string }, limitPerSeries: number): Promise<Series[]> {
    let query = this.db
      .selectFrom('series_points')
      .select(['model', 'variant', 'metric', 'fingerprint'])
      .distinct()
      .where('suite', '=', filter.suite);
    for (const column of ['model', 'variant', 'metric', 'fingerprint'] as const) {
      const value = filter[column];
      if (value) {
        query = query.where(column, '=', value);
      }
    }
    const keys = await query
      .orderBy('model')
      .orderBy('variant')
      .orderBy('metric')
      .orderBy('fingerprint')
      .execute();
    const series: Series[] = [];
    for (const k of keys) {
      const key = { suite: filter.suite, ...k };
      const points = await this.points(key, limitPerSeries);
      series.push({
        ...key,
        points: points.map((p) => ({ runId: p.runId, atMs: String(p.at), value: p.value })),
      });
    }
    return series;
  }
}
