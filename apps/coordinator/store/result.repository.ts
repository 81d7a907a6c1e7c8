import { Inject, Injectable } from '@nestjs/common';
import type { CompiledQuery, Insertable, Transaction } from 'kysely';
import type {
  Fidelity,
  Fingerprint,
  LatencyStats,
  MeasuredInput,
  ModelFacts,
  OpRow,
  OpTypeRow,
  TaskResult,
} from '#contracts';
import { DATABASE } from './database.tokens.js';
import { type Db, dialectOf } from './database.js';
import type { Database, ResultTable } from './database.types.js';
import { queryTemplate } from './query-template.js';
import type { BulkForm, WriteStep } from './bulk-write.js';

/** Every column of a result's row. */
const RESULT_COLUMNS = [
  'task_id',
  'attempt',
  'agent_id',
  'fingerprint_json',
  'facts_json',
  'ort_version',
  'ep',
  'load_ms',
  'first_run_ms',
  'median_ms',
  'latency_json',
  'samples_json',
  'peak_rss_bytes',
  'arena_peak_bytes',
  'profiled_run_median_ms',
  'inputs_json',
  'op_types_json',
  'fidelity_json',
  'ops_json',
  'created_at',
] as const satisfies readonly (keyof ResultTable)[];

type ResultRow = ResultTable[(typeof RESULT_COLUMNS)[number]][];

@Injectable()
export class ResultRepository {
  /** Built once (query-template.ts): a result's row, in RESULT_COLUMNS order. */
  private readonly insert: (...row: ResultRow) => CompiledQuery;
  /** PostgreSQL: a write batch's results as one INSERT (bulk-write.ts). */
  private readonly insertMany?: BulkForm;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    const asRow = (row: readonly unknown[]) =>
      Object.fromEntries(RESULT_COLUMNS.map((column, i) => [column, row[i]])) as Insertable<ResultTable>;
    this.insert = queryTemplate(db, RESULT_COLUMNS.length, (...row: ResultRow) =>
      db
        .insertInto('results')
        .values(asRow(row))
        .onConflict((oc) => oc.columns(['task_id', 'attempt']).doNothing()),
    );
    if (dialectOf(db) === 'postgres') {
      this.insertMany = {
        name: 'insert results',
        compile: (rows) =>
          db
            .insertInto('results')
            .values(rows.map(asRow))
            .onConflict((oc) => oc.columns(['task_id', 'attempt']).doNothing())
            .returning(['task_id', 'attempt'])
            .compile(),
        keyOfInput: (row) => `${String(row[0])}\u0000${Number(row[1])}`,
        keyOfOutput: (row) => `${String(row.task_id)}\u0000${Number(row.attempt)}`,
      };
    }
  }

  /**
   * Stores a result in one transaction, with `alsoInside` (finishing its task) in the same one: one
   * commit per result. Idempotent per (task, attempt): a result re-sent after a reconnect is ignored
   * (and `alsoInside` not run). Returns false when it was already stored.
   */
  async store(
    result: TaskResult,
    now: number,
    alsoInside?: (trx: Transaction<Database>) => Promise<void>,
    inTransaction?: Transaction<Database>,
  ): Promise<boolean> {
    const insert = this.insertQuery(result, now);
    const store = async (trx: Transaction<Database>): Promise<boolean> => {
      const inserted = await trx.executeQuery(insert);
      if (Number(inserted.numAffectedRows ?? 0) === 0) {
        return false;
      }
      await alsoInside?.(trx);
      return true;
    };
    return inTransaction ? store(inTransaction) : this.db.transaction().execute(store);
  }

  /**
   * The result's row, inserted unless its (task, attempt) is stored already: it then changes no row.
   * Compiled, for a write job (write-batcher.ts).
   */
  insertQuery(result: TaskResult, now: number): CompiledQuery {
    return this.insert(...this.rowOf(result, now));
  }

  /** insertQuery as a write job's step: it changes one row if the result was stored, none if it was already. */
  insertStep(result: TaskResult, now: number): WriteStep {
    const row = this.rowOf(result, now);
    return {
      query: this.insert(...row),
      bulk: this.insertMany && { form: this.insertMany, rows: [row] },
    };
  }

  /** The result's row, in RESULT_COLUMNS order. */
  private rowOf(result: TaskResult, now: number): ResultRow {
    const m = result.measurement;
    if (!m) {
      throw new Error('result without measurement');
    }
    return [
      result.taskId,
      result.attempt,
      result.agentId,
      JSON.stringify(result.fingerprint ?? {}),
      JSON.stringify(result.model ?? {}),
      m.ortVersion,
      m.ep,
      m.loadMs,
      m.firstRunMs,
      m.latency?.median ?? 0,
      JSON.stringify(m.latency ?? {}),
      JSON.stringify(m.samplesMs),
      Number(m.peakRssBytes),
      Number(m.arenaPeakBytes),
      m.profiledRunMedianMs,
      JSON.stringify(m.inputs),
      JSON.stringify(m.opTypes),
      m.fidelity ? JSON.stringify(m.fidelity) : null,
      JSON.stringify(m.ops),
      now,
    ];
  }

  async listForRun(runId: string): Promise<TaskResult[]> {
    const rows = await this.db
      .selectFrom('results')
      .innerJoin('tasks', 'tasks.id', 'results.task_id')
      .selectAll('results')
      .where('tasks.run_id', '=', runId)
      .orderBy('tasks.seq')
      .orderBy('results.attempt')
      .execute();
    return Promise.all(rows.map((row) => this.toResult(row)));
  }

  async findForTask(taskId: string): Promise<TaskResult[]> {
    const rows = await this.db
      .selectFrom('results')
      .selectAll()
      .where('task_id', '=', taskId)
      .orderBy('attempt')
      .execute();
    return Promise.all(rows.map((row) => this.toResult(row)));
  }

  private async toResult(row: ResultTable): Promise<TaskResult> {
    const ops = row.ops_json !== null ? (JSON.parse(row.ops_json) as OpRow[]) : await this.legacyOps(row);
    return {
      taskId: row.task_id,
      attempt: row.attempt,
      agentId: row.agent_id,
      fingerprint: JSON.parse(row.fingerprint_json) as Fingerprint,
      model: JSON.parse(row.facts_json) as ModelFacts,
      measurement: {
        ortVersion: row.ort_version,
        ep: row.ep,
        loadMs: row.load_ms,
        firstRunMs: row.first_run_ms,
        samplesMs: JSON.parse(row.samples_json) as number[],
        latency: JSON.parse(row.latency_json) as LatencyStats,
        peakRssBytes: String(row.peak_rss_bytes),
        arenaPeakBytes: String(row.arena_peak_bytes),
        ops,
        opTypes: JSON.parse(row.op_types_json) as OpTypeRow[],
        profiledRunMedianMs: row.profiled_run_median_ms,
        inputs: JSON.parse(row.inputs_json) as MeasuredInput[],
        fidelity: row.fidelity_json ? (JSON.parse(row.fidelity_json) as Fidelity) : undefined,
      },
    };
  }

  /** Results stored before ops_json existed keep their per-node rows in result_ops. */
  private async legacyOps(row: ResultTable): Promise<OpRow[]> {
    const ops = await this.db
      .selectFrom('result_ops')
      .select(['node', 'op_type', 'provider', 'median_ms', 'share'])
      .where('task_id', '=', row.task_id)
      .where('attempt', '=', row.attempt)
      .orderBy('id')
      .execute();
    return ops.map((o) => ({
      node: o.node,
      opType: o.op_type,
      provider: o.provider,
      medianMs: o.median_ms,
      share: o.share,
    }));
  }
}
