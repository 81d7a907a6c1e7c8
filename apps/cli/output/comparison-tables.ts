import { SNR_CAP_DB } from '#bench';
import type { ResultEntry, ResultJson } from '#report';
import { bytes, ms, renderTable } from './table.js';

function groupKey(r: ResultEntry, withRuntime: boolean): string {
  return [r.model, String(r.agent.id), r.ep, withRuntime ? r.runtime : ''].join('\u0000');
}

function ratio(value: number, base: number | undefined): string {
  return base && base > 0 ? `${(value / base).toFixed(2)}x` : '-';
}

function fidelityCells(r: ResultEntry): string[] {
  const f = r.fidelity;
  if (!f) {
    return ['-', '-', '-'];
  }
  return [
    f.cosine.toFixed(5),
    f.snrDb >= SNR_CAP_DB ? 'exact' : `${f.snrDb.toFixed(1)} dB`,
    f.top1Agreement !== undefined ? `${(f.top1Agreement * 100).toFixed(1)}%` : '-',
  ];
}

/** Each compressed variant against its original on the same agent, EP and runtime. */
export function renderVariantComparison(json: ResultJson): string | undefined {
  if (!json.results.some((r) => r.variant !== 'original')) {
    return undefined;
  }
  const originals = new Map(
    json.results.filter((r) => r.variant === 'original').map((r) => [groupKey(r, true), r]),
  );
  const rows = json.results.map((r) => {
    const base = originals.get(groupKey(r, true));
    const gzip = r.compression ? r.compression.gzipSizeBytes : r.gzipSizeBytes;
    return [
      r.model,
      r.variant,
      `${String(r.agent.name)}/${r.ep}/${r.runtime}`,
      bytes(r.sizeBytes),
      r.variant === 'original'
        ? '1.00x'
        : `${(base ? base.sizeBytes / r.sizeBytes : 1 / (r.compression?.ratio ?? 1)).toFixed(2)}x`,
      r.variant === 'original'
        ? '1.00x'
        : `${(base ? base.gzipSizeBytes / gzip : 1 / (r.compression?.gzipRatio ?? 1)).toFixed(2)}x`,
      ms(r.loadMs),
      ms(r.latencyMs.median),
      r.variant === 'original' ? '1.00x' : ratio(r.latencyMs.median, base?.latencyMs.median),
      bytes(r.peakRssBytes),
      ...fidelityCells(r),
    ];
  });
  return (
    'Variants against the original (size and gzip: times smaller; latency: times the original)\n' +
    renderTable(
      [
        'model',
        'variant',
        'agent/ep/runtime',
        'size',
        'smaller',
        'gzip smaller',
        'load ms',
        'median ms',
        'latency',
        'peak RSS',
        'cosine',
        'SNR',
        'top-1',
      ],
      rows,
      [false, false, false, true, true, true, true, true, true, true, true, true, true],
    )
  );
}

/** The same model on several ONNX Runtime versions of one agent, side by side. */
export function renderRuntimeComparison(json: ResultJson): string | undefined {
  const runtimes = new Set([
    ...json.results.map((r) => r.runtime),
    ...json.failures.map((f) => f.runtime).filter(Boolean),
  ]);
  if (runtimes.size < 2) {
    return undefined;
  }
  // A runtime that refuses a model is a finding of the comparison, shown in its row.
  const refused = json.failures.map((f) => [
    f.variant === 'original' ? f.model : `${f.model} [${f.variant}]`,
    `${f.agentId.slice(0, 14)}/${f.ep}`,
    f.runtime,
    `refused: ${f.error.slice(0, 100)}`,
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  const rows = json.results
    .filter((r) => r.variant === 'original')
    .sort(
      (a, b) =>
        groupKey(a, false).localeCompare(groupKey(b, false)) ||
        a.runtime.localeCompare(b.runtime, undefined, { numeric: true }),
    )
    .map((r) => [
      r.model,
      `${String(r.agent.name)}/${r.ep}`,
      r.runtime,
      ms(r.loadMs),
      ms(r.firstRunMs),
      ms(r.latencyMs.median),
      `${ms(r.latencyMs.ci95[0])}-${ms(r.latencyMs.ci95[1])}`,
      bytes(r.peakRssBytes),
      ...(r.fidelity ? fidelityCells(r) : ['reference', '', '']),
    ])
    .concat(refused);
  return (
    'ONNX Runtime versions (outputs compared with the oldest runtime)\n' +
    renderTable(
      [
        'model',
        'agent/ep',
        'runtime',
        'load ms',
        'first ms',
        'median ms',
        '95% CI',
        'peak RSS',
        'cosine',
        'SNR',
        'top-1',
      ],
      rows,
      [false, false, false, true, true, true, true, true, true, true, true],
    )
  );
}
