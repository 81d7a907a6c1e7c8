// Copies the SQLite write-ahead log into the database file on a thread of its own (see wal-checkpointer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import type { CheckpointerSettings, CheckpointReport } from './wal-checkpointer.js';

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** Passes in a row while the writer keeps appending; each one copies only what came since the last. */
const MAX_PASSES = 8;

const settings = workerData as CheckpointerSettings;
const db = new SQLite(settings.file, { fileMustExist: true });
// Never wait for a lock: a checkpoint that finds the log busy is simply tried again at the next interval.
db.pragma('busy_timeout = 0');
// This connection must not start checkpoints of its own on commit (it never writes anyway).
db.pragma('wal_autocheckpoint = 0');

let checkpoints = 0;
let frames = 0;

/**
 * PASSIVE: copies every frame that no reader still needs, without blocking the writer or the readers.
 * Passes repeat until the copy has caught up with the log's end, so the writer's next transaction can
 * start the log over from its beginning instead of letting it grow.
 */
function checkpoint(): void {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let row: CheckpointRow;
    try {
      [row] = db.pragma('wal_checkpoint(PASSIVE)') as [CheckpointRow];
    } catch {
      return; // SQLITE_BUSY or the file going away at shutdown: the next interval tries again
    }
    if (row.log <= 0) {
      return;
    }
    checkpoints += 1;
    frames = row.log;
    if (row.busy !== 0 || row.checkpointed >= row.log || row.log < settings.minFrames) {
      return;
    }
  }
}

const timer = setInterval(() => {
  const before = checkpoints;
  checkpoint();
  // Only when something was copied: an idle coordinator's loop is not woken five times a second.
  if (checkpoints !== before) {
    const report: CheckpointReport = { checkpoints, frames };
    parentPort?.postMessage(report);
  }
}, settings.intervalMs);

parentPort?.on('message', (message: unknown) => {
  if (message === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort?.close();
  }
});
