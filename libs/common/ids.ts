import { randomBytes } from 'node:crypto';

/**
 * Random bytes taken from a pool filled a few kilobytes at a time: a run on a thousand agents makes a
 * thousand task ids at once, and one randomBytes() call each was ~15 ms of the coordinator's thread
 * (bench-scale --cpu-prof: randomFillSync under expandTasks).
 */
const POOL_BYTES = 4_096;
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

// Sortable by creation time (base36 millis first), unique enough for a farm: 10 random bytes after it.
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomHex(10)}`;
}
