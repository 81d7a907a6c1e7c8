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

/**
 * Node options for a coordinator on PostgreSQL, set as NODE_OPTIONS by deploy/ (Kubernetes, the compose
 * PostgreSQL override) and by scripts/bench-scale.ts: a young generation of 64 MiB semi-spaces instead of
 * 16. There a result waits for its commit across several round trips, so at a thousand agents every
 * scavenge (one every ~90 ms) copied tens of megabytes of results in flight: 15-30 ms each, about a fifth
 * of the coordinator's thread (`--trace-gc`). Measured alternating, PostgreSQL ×1, paced phase: p99
 * dispatch 135, 218, 586, 122, 317, 271 and 1,393 ms with it; 1,561, 873, 1,468, 469, 577 and 1,179
 * without; coordinator CPU 72-84 % against 83-84 %. It must be on node's command line or in NODE_OPTIONS:
 * V8 sizes the heap when the process starts.
 */
export const POSTGRES_NODE_OPTIONS = '--max-semi-space-size=64';
