import { Inject, Injectable } from '@nestjs/common';
import type { TaskStatusLabel } from '#metrics';
import { type Db } from '../store/database.js';
import { DATABASE } from '../store/database.tokens.js';

/** Counts for farm-health gauges, read at scrape time (one grouped query, indexed by state). */
@Injectable()
export class TaskStatsRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  async countByState(): Promise<Partial<Record<TaskStatusLabel, number>>> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }
}
