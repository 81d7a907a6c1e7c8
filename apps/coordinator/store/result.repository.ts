import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
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
import type { Db } from './database.js';
import type { Database, ResultTable } from './database.types.js';

@Injectable()
export class ResultRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

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
    const m = result.measurement;
    if (!m) {
      throw new Error('result without measurement');
    }
    const store = async (trx: Transaction<Database>): Promise<boolean> => {
      const inserted = await trx
        .insertInto('results')
        .values({
          task_id: result.taskId,
          attempt: result.attempt,
          agent_id: result.agentId,
          fingerprint_json: JSON.stringify(result.fingerprint ?? {}),
          facts_json: JSON.stringify(result.model ?? {}),
          ort_version: m.ortVersion,
          ep: m.ep,
          load_ms: m.loadMs,
          first_run_ms: m.firstRunMs,
          median_ms: m.latency?.median ?? 0,
          latency_json: JSON.stringify(m.latency ?? {}),
          samples_json: JSON.stringify(m.samplesMs),
          peak_rss_bytes: Number(m.peakRssBytes),
          arena_peak_bytes: Number(m.arenaPeakBytes),
          profiled_run_median_ms: m.profiledRunMedianMs,
          inputs_json: JSON.stringify(m.inputs),
          op_types_json: JSON.stringify(m.opTypes),
          fidelity_json: m.fidelity ? JSON.stringify(m.fidelity) : null,
          ops_json: JSON.stringify(m.ops),
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['task_id', 'attempt']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        return false;
      }
      await alsoInside?.(trx);
      return true;
    };
    return inTransaction ? store(inTransaction) : this.db.transaction().execute(store);
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
