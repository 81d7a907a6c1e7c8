import { type CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import { withoutNul } from './database.js';
import type { Database } from './database.types.js';
import type { StepOutcome } from './sqlite-writer.js';

/**
 * One statement for the rows of many write steps of one kind, on PostgreSQL: a batch of results is then
 * a few round trips instead of three per result. Each of those round trips waited for the coordinator's
 * busy event loop and for PostgreSQL's process on the same two cores, 1-5 ms each; one after the other
 * they bounded the whole farm to ~200 tasks/s (scripts/bench-scale.ts --sql-prof, PostgreSQL x1).
 */
export interface BulkForm {
  /** For errors and traces. */
  readonly name: string;
  /** The statement for `rows` (each an input row of one step), returning rows that keyOfOutput names. */
  compile(rows: readonly (readonly unknown[])[]): CompiledQuery;
  keyOfInput(row: readonly unknown[]): string;
  keyOfOutput(row: Record<string, unknown>): string;
  /**
   * A read: every step asking for a key gets its row. A write (default): the first step with the key
   * gets it, as if the steps had run one after the other (the later ones would have found the row
   * changed already: a result stored once, a task ended once).
   */
  readonly read?: boolean;
}

/** A step's share of a bulk statement: its input rows (a heartbeat renews several leases: several rows). */
export interface BulkPart {
  form: BulkForm;
  rows: (readonly unknown[])[];
}

/**
 * PostgreSQL: locks rows of one table by key, in key order, in one statement (`SELECT ... ORDER BY key
 * FOR NO KEY UPDATE`). Compiled by the repository that owns the table.
 */
export interface LockForm {
  /** For errors and traces. */
  readonly name: string;
  compile(keys: readonly string[]): CompiledQuery;
}

/** The rows a step will update, to lock before the batch's other statements (see lockInKeyOrder). */
export interface LockPart {
  form: LockForm;
  keys: readonly string[];
}

/**
 * One statement of a write job (see write-batcher.ts), compiled by the store's own Kysely. `when`: the
 * step runs only if that earlier step of the same job changed (or returned) a row; otherwise its outcome
 * is null. `bulk`: on PostgreSQL, the step runs as part of one statement with the same kind of steps of
 * the other jobs in its batch (`query` is then not used). `afterCommit`: on PostgreSQL, a read that must
 * see every commit before it, so it runs after the batch's own commit (a read inside the transaction
 * would miss what another commit made meanwhile: two replicas, or two lanes, ending a run's last two
 * tasks at once would each see the other's task unfinished, and neither would settle the run). SQLite's
 * writer thread has one transaction at a time, so there it runs inside. `ownCommit`: on PostgreSQL, a
 * write that need not be atomic with the batch (a lease renewal, an agent's last-seen time) runs after the
 * batch's commit as a statement of its own, so that the rows it locks are held for that statement only:
 * inside the batch, a heartbeat's renewal held its task until the batch's commit, several round trips
 * through a busy event loop later, and another lane's batch ending that task waited for it (30 ms and
 * more, ~100 times in a load-test pass: PostgreSQL's log_lock_waits).
 */
export interface WriteStep {
  query: CompiledQuery;
  when?: number;
  bulk?: BulkPart;
  afterCommit?: boolean;
  ownCommit?: boolean;
  /** PostgreSQL: rows this step updates; locked first, in key order, with the batch's others. */
  locks?: LockPart;
}

/**
 * PostgreSQL: locks every row the batch's steps will update, one statement per table, keys sorted, at
 * the start of the batch's transaction. Two lanes' batches that update some of the same tasks (one
 * starting them, one ending them) otherwise locked them in whatever order their statements met them,
 * and deadlocked: each a 1 s stall (deadlock_timeout) and a retry of every job one by one, several per
 * load-test pass with two replicas. Taken in one global order, locks cannot form a cycle.
 */
export async function lockInKeyOrder(
  db: Kysely<Database>,
  jobs: readonly { steps: readonly WriteStep[] }[],
): Promise<void> {
  const keysByForm = new Map<LockForm, Set<string>>();
  for (const job of jobs) {
    for (const step of job.steps) {
      if (step.locks) {
        let keys = keysByForm.get(step.locks.form);
        if (!keys) {
          keys = new Set();
          keysByForm.set(step.locks.form, keys);
        }
        step.locks.keys.forEach((key) => keys.add(key));
      }
    }
  }
  for (const [form, keys] of keysByForm) {
    // Code-point order, as the statement's COLLATE "C" sorts: the same order in every transaction.
    await db.executeQuery(form.compile([...keys].sort()));
  }
}

/** PostgreSQL: the steps that run after the batch's transaction has committed (see WriteStep). */
export function afterTheBatch(step: WriteStep): boolean {
  return step.afterCommit === true || step.ownCommit === true;
}

/**
 * `unnest($1::text[], $2::bigint[], ...)` over `rows`, one typed array per column: a table of any number
 * of rows in a fixed number of parameters.
 */
export function unnestOf(
  rows: readonly (readonly unknown[])[],
  types: readonly string[],
): RawBuilder<unknown> {
  const columns = columnsOf(rows, types.length);
  return sql`unnest(${sql.join(columns.map((column, i) => sql`${column}::${sql.raw(types[i]!)}[]`))})`;
}

/** One array per column. PostgreSQL text cannot hold U+0000 (the same replacement as database.ts). */
function columnsOf(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  rows.forEach((row, r) => {
    for (let c = 0; c < width; c++) {
      const v = row[c];
      columns[c]![r] = typeof v === 'string' ? withoutNul(v) : (v ?? null);
    }
  });
  return columns;
}

type Unit = { single: number } | { form: BulkForm; jobs: number[] };

/**
 * Runs the steps of `jobs` that `inPhase` selects, position by position across the jobs: every job's first
 * step, then every job's second, and so on, so that steps of one kind at one position share a bulk
 * statement. A job's steps still run in its own order, and a `when` sees its step's outcome. Steps
 * without a bulk form run one by one, in job order. Outcomes go to `outcomes[job][step]`.
 */
export async function runInLockstep(
  db: Kysely<Database>,
  jobs: readonly { steps: readonly WriteStep[] }[],
  outcomes: StepOutcome[][],
  inPhase: (step: WriteStep) => boolean,
): Promise<void> {
  const depth = Math.max(0, ...jobs.map((job) => job.steps.length));
  for (let p = 0; p < depth; p++) {
    const units: Unit[] = [];
    const groups = new Map<BulkForm, number[]>();
    jobs.forEach((job, j) => {
      const step = job.steps[p];
      if (!step || !inPhase(step)) {
        return;
      }
      if (step.when !== undefined && !((outcomes[j]![step.when]?.changes ?? 0) > 0)) {
        outcomes[j]![p] = null;
        return;
      }
      if (!step.bulk) {
        units.push({ single: j });
        return;
      }
      const group = groups.get(step.bulk.form);
      if (group) {
        group.push(j);
      } else {
        const members = [j];
        groups.set(step.bulk.form, members);
        units.push({ form: step.bulk.form, jobs: members });
      }
    });
    for (const unit of units) {
      if ('single' in unit) {
        outcomes[unit.single]![p] = await runOne(db, jobs[unit.single]!.steps[p]!.query);
      } else {
        await runBulk(db, unit.form, unit.jobs, p, jobs, outcomes);
      }
    }
  }
}

async function runOne(db: Kysely<Database>, query: CompiledQuery): Promise<StepOutcome> {
  const result = await db.executeQuery(query);
  const changes = result.numAffectedRows !== undefined ? Number(result.numAffectedRows) : result.rows.length;
  return { rows: result.rows, changes };
}

async function runBulk(
  db: Kysely<Database>,
  form: BulkForm,
  members: number[],
  p: number,
  jobs: readonly { steps: readonly WriteStep[] }[],
  outcomes: StepOutcome[][],
): Promise<void> {
  const rows: (readonly unknown[])[] = [];
  /** Per input row's key, the jobs that asked for it, one entry per row, in job order. */
  const askers = new Map<string, number[]>();
  for (const j of members) {
    outcomes[j]![p] = { rows: [], changes: 0 };
    for (const row of jobs[j]!.steps[p]!.bulk!.rows) {
      const key = form.keyOfInput(row);
      const list = askers.get(key);
      if (list) {
        list.push(j);
      } else {
        askers.set(key, [j]);
      }
      if (!list || !form.read) {
        rows.push(row); // a read asks once per key
      }
    }
  }
  const result = await db.executeQuery(form.compile(rows));
  for (const row of result.rows as Record<string, unknown>[]) {
    const list = askers.get(form.keyOfOutput(row));
    if (!list || list.length === 0) {
      throw new Error(`${form.name}: a returned row matches no step (${form.keyOfOutput(row)})`);
    }
    for (const j of form.read ? new Set(list) : [list.shift()!]) {
      const outcome = outcomes[j]![p]!;
      outcome.rows.push(row);
      outcome.changes += 1;
    }
  }
}
