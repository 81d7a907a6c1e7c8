// Runs the coordinator's hot SQLite writes on a thread of its own (see sqlite-writer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { StatementCache } from './sqlite-statements.js';
import type {
  JobOutcome,
  StepOutcome,
  WriterBatch,
  WriterJob,
  WriterReply,
  WriterSettings,
} from './sqlite-writer.js';

const settings = workerData as WriterSettings;
const db = new SQLite(settings.file, { fileMustExist: true });
// The same settings as the coordinator's own connection (database.ts): each connection has its own.
settings.pragmas.forEach((pragma) => db.pragma(pragma));

const statements = new StatementCache(db);
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const rollback = db.prepare('ROLLBACK');

function runJob(job: WriterJob): StepOutcome[] {
  const outcomes: StepOutcome[] = [];
  for (const step of job.steps) {
    if (step.when !== undefined && !(outcomes[step.when] && outcomes[step.when]!.changes > 0)) {
      outcomes.push(null);
      continue;
    }
    const prepared = statements.get(step.sql);
    if (prepared.reader) {
      const rows = prepared.all(...step.parameters);
      outcomes.push({ rows, changes: rows.length });
    } else {
      outcomes.push({ rows: [], changes: prepared.run(...step.parameters).changes });
    }
  }
  return outcomes;
}

function failure(error: unknown): JobOutcome {
  const e = error as { message?: unknown; code?: unknown };
  return {
    error: {
      message: typeof e?.message === 'string' ? e.message : String(error),
      code: typeof e?.code === 'string' ? e.code : undefined,
    },
  };
}

/** Runs `jobs` in one transaction; throws (rolled back) if any fails. */
function inOneTransaction(jobs: WriterJob[]): JobOutcome[] {
  begin.run();
  try {
    const outcomes = jobs.map((job) => ({ steps: runJob(job) }));
    commit.run();
    return outcomes;
  } catch (error) {
    if (db.inTransaction) {
      rollback.run();
    }
    throw error;
  }
}

/**
 * A batch is one commit. If a job fails, the batch is rolled back and its jobs run again one by one, so
 * only that job fails (its steps are plain statements: running them again is safe).
 */
function execute(batch: WriterBatch): WriterReply {
  try {
    return { id: batch.id, jobs: inOneTransaction(batch.jobs) };
  } catch (error) {
    if (batch.jobs.length === 1) {
      return { id: batch.id, jobs: [failure(error)] };
    }
  }
  return {
    id: batch.id,
    jobs: batch.jobs.map((job) => {
      try {
        return inOneTransaction([job])[0]!;
      } catch (error) {
        return failure(error);
      }
    }),
  };
}

parentPort?.on('message', (message: WriterBatch | 'stop') => {
  if (message === 'stop') {
    db.close();
    parentPort?.close();
    return;
  }
  parentPort?.postMessage(execute(message));
});
