import { type Db, dialectOf } from './database.js';

/** PostgreSQL: how long a burst of writes or idle agents is gathered into one transaction. */
const POSTGRES_GATHER_MS = 5;

/**
 * Schedules `fn` to take a gathered batch (a group commit, a dispatch sweep). Measured with
 * scripts/bench-scale.ts at a thousand agents:
 * - PostgreSQL: a few milliseconds. Each transaction is several network round trips, so bigger batches
 *   carry the load (the end of the loop's turn instead: 170 tasks/s paced and 96 saturated, against
 *   176-218 and 144-279 with 5 ms, in one session).
 * - SQLite: the end of the event loop's current turn (setImmediate). Whatever arrived in this turn shares
 *   the transaction, and nothing waits for a timer that a busy loop fires late: with a 5 ms timer each of
 *   the two stages waited a whole turn of tens of milliseconds (dispatch p50 40-98 ms, now 17 ms).
 */
export function gathererFor(db: Db): (fn: () => void) => void {
  if (dialectOf(db) === 'postgres') {
    return (fn) => void setTimeout(fn, POSTGRES_GATHER_MS);
  }
  return (fn) => void setImmediate(fn);
}
