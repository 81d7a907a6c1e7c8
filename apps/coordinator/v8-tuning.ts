import { setFlagsFromString } from 'node:v8';

const PRETENURING = 'allocation-site-pretenuring';

/**
 * Turns off V8's allocation-site pretenuring for this process, unless node's own command line chose
 * (`--allocation-site-pretenuring` or `--no-allocation-site-pretenuring`), which then wins.
 *
 * Why: a result lives from its decoding until its commit on the writer thread, some tens of
 * milliseconds, so it often outlives a young-generation collection. V8 then marks the allocation sites
 * of decoded messages, their strings and the writer's messages as long-lived and allocates them straight
 * in the old generation (a few hundred sites at a thousand agents, `--trace-pretenuring-statistics`),
 * where they die within a second and fill it: a major collection every ~10 s whose marking held the
 * dispatching thread 50-130 ms, the tail of the dispatch latency. Without pretenuring they die young.
 * Measured with scripts/bench-scale.ts, SQLite, 1,000 agents, alternating: p99 dispatch 184 and 145 ms
 * with, 59 and 55 ms without (see the README's load-test section).
 *
 * V8 reads the flag when it weighs an allocation site's survivors at each collection, so setting it
 * before the coordinator's work starts governs every decision made under load. Used with SQLite only:
 * on PostgreSQL, where a result waits longer for its commit, the same A/B leaned the other way.
 */
export function turnOffPretenuring(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((flag) => flag.replace(/_/g, '-').endsWith(PRETENURING))) {
    return false;
  }
  setFlagsFromString(`--no-${PRETENURING}`);
  return true;
}
