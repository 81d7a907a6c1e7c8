import { type OpRow, type OpTypeRow, type ProfileSummary } from './bench.types.js';
import { quantileSorted } from './latency-stats.util.js';

const KERNEL_SUFFIX = '_kernel_time';

interface KernelEvent {
  node: string;
  key: string;
  opType: string;
  provider: string;
  ts: number;
  durUs: number;
  arenaHeld?: number;
  inUsePeak?: number;
}

interface RunWindow {
  start: number;
  end: number;
}

/**
 * Aggregates an ORT Chrome-trace profile (the JSON array `endProfiling()` writes).
 * Each `<node>_kernel_time` event is one node execution (`dur` in µs, `args.op_name`, `args.provider`,
 * memory stats of the EP's arena); `model_run` events delimit runs. `skipRuns` drops the first runs
 * (e.g. a cold one) from the timing aggregate.
 */
export function parseOrtProfile(events: unknown[], options: { skipRuns?: number } = {}): ProfileSummary {
  const kernels: KernelEvent[] = [];
  const runs: RunWindow[] = [];
  for (const raw of events) {
    if (!isRecord(raw) || typeof raw.name !== 'string') {
      continue;
    }
    const ts = toNumber(raw.ts) ?? 0;
    if (raw.name === 'model_run') {
      runs.push({ start: ts, end: ts + (toNumber(raw.dur) ?? 0) });
      continue;
    }
    if (!raw.name.endsWith(KERNEL_SUFFIX)) {
      continue;
    }
    const args = isRecord(raw.args) ? raw.args : {};
    const node = raw.name.slice(0, -KERNEL_SUFFIX.length);
    // Node names may be empty or repeated in ORT graphs; node_index keeps them apart.
    const index =
      typeof args.node_index === 'string' || typeof args.node_index === 'number'
        ? String(args.node_index)
        : '';
    kernels.push({
      node: node === '' ? `#${index}` : node,
      key: `${node}#${index}`,
      opType: typeof args.op_name === 'string' ? args.op_name : 'unknown',
      provider: typeof args.provider === 'string' ? args.provider : 'unknown',
      ts,
      durUs: toNumber(raw.dur) ?? 0,
      arenaHeld: toNumber(args.mem_arena_held),
      inUsePeak: toNumber(args.mem_in_use_peak),
    });
  }
  runs.sort((a, b) => a.start - b.start);

  const skip = Math.max(0, Math.min(options.skipRuns ?? 0, runs.length - 1));
  const perNode = new Map<string, { row: KernelEvent; perRunUs: Map<number, number> }>();
  const occurrences = new Map<string, number>();
  for (const k of kernels) {
    let run: number;
    if (runs.length > 0) {
      run = runIndexOf(runs, k.ts);
      if (run < skip) {
        continue;
      }
    } else {
      // No run markers (hand-made traces): the n-th execution of a node belongs to run n.
      run = occurrences.get(k.key) ?? 0;
      occurrences.set(k.key, run + 1);
    }
    let entry = perNode.get(k.key);
    if (!entry) {
      entry = { row: k, perRunUs: new Map() };
      perNode.set(k.key, entry);
    }
    entry.perRunUs.set(run, (entry.perRunUs.get(run) ?? 0) + k.durUs);
  }
  const runCount = runs.length > 0 ? runs.length - skip : Math.max(0, ...occurrences.values());

  const medians = [...perNode.values()].map(({ row, perRunUs }) => {
    // A node absent from a run (e.g. an untaken If branch) cost 0 µs in it.
    const perRun = new Float64Array(runCount);
    let i = 0;
    for (const us of perRunUs.values()) {
      perRun[i++] = us;
    }
    perRun.sort();
    return { row, medianMs: quantileSorted(perRun, 0.5) / 1000 };
  });
  const totalMs = medians.reduce((acc, m) => acc + m.medianMs, 0);
  const share = (ms: number): number => (totalMs > 0 ? ms / totalMs : 0);

  const ops: OpRow[] = medians
    .map(({ row, medianMs }) => ({
      node: row.node,
      opType: row.opType,
      provider: row.provider,
      medianMs,
      share: share(medianMs),
    }))
    .sort((a, b) => b.medianMs - a.medianMs);

  const byType = new Map<string, OpTypeRow>();
  for (const op of ops) {
    const t = byType.get(op.opType) ?? { opType: op.opType, count: 0, totalMs: 0, share: 0 };
    t.count++;
    t.totalMs += op.medianMs;
    byType.set(op.opType, t);
  }
  const opTypes = [...byType.values()]
    .map((t) => ({ ...t, share: share(t.totalMs) }))
    .sort((a, b) => b.totalMs - a.totalMs);

  return {
    ops,
    opTypes,
    arenaPeakBytes: maxOf(kernels.map((k) => k.arenaHeld)),
    arenaInUsePeakBytes: maxOf(kernels.map((k) => k.inUsePeak)),
    runs: runCount,
  };
}

function runIndexOf(runs: RunWindow[], ts: number): number {
  // Last run starting at or before ts; kernels between runs count toward the preceding one.
  let lo = 0;
  let hi = runs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid]!.start <= ts) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function maxOf(values: (number | undefined)[]): number | undefined {
  let max: number | undefined;
  for (const v of values) {
    if (v !== undefined && (max === undefined || v > max)) {
      max = v;
    }
  }
  return max;
}

function toNumber(v: unknown): number | undefined {
  // ORT writes most numeric args as strings ("76672").
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
