import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';

/** Each schedule firing is claimed once in the store, so replicas with the same schedules start one run. */
@Injectable()
export class ScheduleFiringRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  /** True for the one replica whose insert went in. */
  async claim(key: string, replicaId: string, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('schedule_firings')
      .values({ key, replica_id: replicaId, fired_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}
