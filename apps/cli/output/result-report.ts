import type { ResultJson } from '#report';
import { renderRuntimeComparison, renderVariantComparison } from './comparison-tables.js';
import { bytes, ms, percent, renderTable } from './table.js';

const TOP_OPS = 10;

/** What `bench`, `submit --wait` and `watch` print at the end: latency per result, then where the time goes. */
export function renderResultReport(json: ResultJson): string {
  const parts: string[] = [];
  if (json.results.length > 0) {
    parts.push(
      renderTable(
        [
          'model',
          'variant',
          'agent',
          'ep',
          'runtime',
          'load ms',
          'first ms',
          'median ms',
          '95% CI',
          'p90 ms',
          'p99 ms',
          'n',
          'peak RSS',
        ],
        json.results.map((r) => [
          r.model,
          r.variant,
          String(r.agent.name),
          r.ep,
          r.runtime,
          ms(r.loadMs),
          ms(r.firstRunMs),
          ms(r.latencyMs.median),
          `${ms(r.latencyMs.ci95[0])}-${ms(r.latencyMs.ci95[1])}`,
          ms(r.latencyMs.p90),
          ms(r.latencyMs.p99),
          String(r.samplesMs.length),
          bytes(r.peakRssBytes),
        ]),
        [false, false, false, false, false, true, true, true, true, true, true, true, true],
      ),
    );
  }
  for (const table of [renderVariantComparison(json), renderRuntimeComparison(json)]) {
    if (table) {
      parts.push(table);
    }
  }
  // Per-operation tables for the originals; variants and every node are in the HTML report.
  for (const r of json.results) {
    if (r.ops.length === 0 || r.variant !== 'original') {
      continue;
    }
    const top = [...r.ops].sort((a, b) => b.medianMs - a.medianMs).slice(0, TOP_OPS);
    parts.push(
      `Top operations - ${r.model} on ${String(r.agent.name)}/${r.ep} with ONNX Runtime ${r.runtime} (profiled pass, ${r.ops.length} nodes)\n` +
        renderTable(
          ['node', 'op type', 'provider', 'median ms', 'share'],
          top.map((o) => [o.node, o.opType, o.provider, ms(o.medianMs), percent(o.share)]),
          [false, false, false, true, true],
        ),
    );
    parts.push(
      renderTable(
        ['op type', 'nodes', 'total ms', 'share'],
        r.opTypes.slice(0, TOP_OPS).map((o) => [o.opType, String(o.count), ms(o.totalMs), percent(o.share)]),
        [false, true, true, true],
      ),
    );
  }
  for (const f of json.failures) {
    parts.push(`FAILED ${f.model} (${f.variant}) on ${f.agentId || '?'}/${f.ep}: ${f.error}`);
  }
  return parts.join('\n\n');
}
