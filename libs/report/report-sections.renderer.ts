import { SNR_CAP_DB } from '#bench';
import { type Fidelity } from './result-json.js';
import {
  escapeHtml as e,
  formatBytes,
  formatChange,
  formatCount,
  formatDuration,
  formatMs,
} from './report-format.util.js';
import { type ComparisonRow, type MetricCell, type MetricKey, type ReportView } from './report-view.types.js';

// The parts of the page that need no script: written as HTML on the server, every value escaped here.

function tile(label: string, value: string, sub = ''): string {
  return `<div class="tile"><div class="label">${e(label)}</div><div class="value">${e(value)}</div>${
    sub ? `<div class="sub">${e(sub)}</div>` : ''
  }</div>`;
}

function formatWhen(iso: string | null): string {
  // UTC, to the second: the same run reads the same wherever the report is opened.
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—';
}

export function renderSummary(view: ReportView): string {
  const failed = view.failures.length;
  const models = view.models
    .map(
      (m) =>
        `<tr><td>${e(m.name)}</td><td><code title="${e(m.sha256)}">${e(m.sha256.slice(0, 12))}</code></td>` +
        `<td class="num">${e(formatBytes(m.sizeBytes))}</td><td class="num">${e(
          m.parameterCount > 0 ? formatCount(m.parameterCount) : '—',
        )}</td></tr>`,
    )
    .join('');
  const agents = view.agents
    .map(
      (a) =>
        `<tr><td><b>${e(a.name)}</b><div class="muted mono">${e(a.id)}</div></td>` +
        `<td class="chips">${a.labels.map((l) => `<span>${e(l)}</span>`).join('') || '<span class="muted">—</span>'}</td>` +
        `<td class="facts">${a.facts.map(([k, v]) => `${e(k)} <b>${e(v)}</b>`).join(' · ')}</td></tr>`,
    )
    .join('');
  return `<section class="card" id="summary">
<h2>Summary</h2>
<div class="tiles">
${tile('Models', String(view.models.length), view.models.map((m) => m.name).join(', '))}
${tile('Variants', String(view.variants.length), view.variants.join(', '))}
${tile('Agents', String(view.agents.length), view.agents.map((a) => a.name).join(', '))}
${tile('Results', String(view.results.length), failed > 0 ? `${failed} task(s) failed` : 'no failed task')}
${tile('Started', view.run.createdAt.slice(0, 10), formatWhen(view.run.createdAt).slice(11))}
${tile('Took', formatDuration(view.durationMs), view.run.finishedAt ? `finished ${formatWhen(view.run.finishedAt)}` : 'not finished')}
</div>
<h3>Models</h3>
<div class="table-wrap"><table class="data"><thead><tr><th>model</th><th>sha256</th><th class="num">size</th><th class="num">parameters</th></tr></thead><tbody>${
    models || '<tr><td colspan="4" class="muted">none</td></tr>'
  }</tbody></table></div>
<h3>Agents and their fingerprints</h3>
<div class="table-wrap"><table class="data"><thead><tr><th>agent</th><th>labels</th><th>fingerprint</th></tr></thead><tbody>${
    agents || '<tr><td colspan="3" class="muted">none</td></tr>'
  }</tbody></table></div>
${failed > 0 ? renderFailures(view) : ''}
</section>`;
}

function renderFailures(view: ReportView): string {
  const rows = view.failures
    .map(
      (f) =>
        `<tr><td>${e(f.model)}</td><td>${e(f.variant)}</td><td>${e(f.agent)}</td><td>${e(f.ep)}</td><td>${e(f.error)}</td></tr>`,
    )
    .join('');
  return `<h3>Failed tasks</h3><div class="table-wrap"><table class="data"><thead><tr><th>model</th><th>variant</th><th>agent</th><th>EP</th><th>error</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const METRICS: { key: MetricKey; label: string; format: (v: number) => string }[] = [
  { key: 'sizeBytes', label: 'size', format: formatBytes },
  { key: 'gzipSizeBytes', label: 'gzip size', format: formatBytes },
  { key: 'loadMs', label: 'load', format: formatMs },
  { key: 'firstRunMs', label: 'first run', format: formatMs },
  { key: 'median', label: 'median', format: formatMs },
  { key: 'p90', label: 'p90', format: formatMs },
  { key: 'p99', label: 'p99', format: formatMs },
  { key: 'peakRss', label: 'peak memory', format: formatBytes },
];

function metricCell(cell: MetricCell, format: (v: number) => string, title = ''): string {
  const value = cell.value === null ? '—' : format(cell.value);
  const verdict = cell.verdict ?? '';
  const change =
    cell.change === null ? '' : `<span class="change ${verdict}">${e(formatChange(cell.change))}</span>`;
  const cls = verdict === 'better' || verdict === 'worse' ? ` ${verdict}` : '';
  return `<td class="num${cls}"${title ? ` title="${e(title)}"` : ''}>${e(value)}${change}</td>`;
}

function fidelityCells(f: Fidelity | null, isOriginal: boolean): string {
  if (!f) {
    const text = isOriginal ? 'reference' : '—';
    return `<td class="num muted">${text}</td><td class="num muted">—</td><td class="num muted">—</td><td class="num muted">—</td>`;
  }
  const top1 = f.top1Agreement === undefined ? '—' : `${(f.top1Agreement * 100).toFixed(1)} %`;
  // The measurement caps SNR at SNR_CAP_DB for outputs identical to the reference (an infinite SNR).
  const snr = f.snrDb >= SNR_CAP_DB ? '∞ (identical)' : `${f.snrDb.toFixed(1)} dB`;
  const title = f.reference ? ` title="${e(`compared with ${f.reference}`)}"` : '';
  return (
    `<td class="num"${title}>${e(f.cosine.toFixed(5))}</td><td class="num">${e(snr)}</td>` +
    `<td class="num">${e(f.maxAbsError.toPrecision(3))}</td><td class="num">${e(top1)}</td>`
  );
}

function comparisonRow(row: ComparisonRow): string {
  const cells = METRICS.map((m) =>
    metricCell(
      row.cells[m.key],
      m.format,
      m.key === 'median' ? `95 % CI ${formatMs(row.ci95[0])} – ${formatMs(row.ci95[1])}` : '',
    ),
  ).join('');
  // compression.ratio is compressed / original (0.25 = 75 % smaller); people read "4× smaller".
  const ratio = row.ratio === null || row.ratio <= 0 ? '—' : `${(1 / row.ratio).toFixed(2)}× smaller`;
  return `<tr><td><b>${e(row.variant)}</b></td>${cells}<td class="num">${e(ratio)}</td>${fidelityCells(
    row.fidelity,
    row.isOriginal,
  )}</tr>`;
}

export function renderComparison(view: ReportView): string {
  const columns = METRICS.length + 6;
  const groups = view.comparisons
    .map(
      (g) =>
        `<tbody class="group"><tr><th class="group-title" colspan="${columns}">${e(g.model)} <span class="muted">on</span> ${e(
          g.agentName,
        )} <span class="muted">·</span> ${e(g.ep)}</th></tr>${g.rows.map(comparisonRow).join('')}</tbody>`,
    )
    .join('');
  const hasVariants = view.variants.some((v) => v !== 'original');
  const note = hasVariants
    ? ''
    : `<p class="note">Only the original model was measured in this run. Compressed variants (runs with recipes) appear as more rows in each group, with their change against the original.</p>`;
  return `<section class="card" id="variants">
<h2>Original vs compressed</h2>
<p class="hint">Each group is one model on one agent and execution provider, so every row is compared on the same hardware. Changes are against the original: <span class="change better" style="display:inline">green</span> is better, <span class="change worse" style="display:inline">red</span> worse, grey within the noise (median: the 95 % CIs overlap; sizes and memory: under 1 %; single-shot times and tails: under 5 %).</p>
<div class="table-wrap"><table class="data comparison"><thead><tr><th>variant</th>${METRICS.map(
    (m) => `<th class="num">${e(m.label)}</th>`,
  ).join(
    '',
  )}<th class="num">ratio</th><th class="num">cosine</th><th class="num">SNR</th><th class="num">max abs err</th><th class="num">top-1</th></tr></thead>${
    groups || `<tbody><tr><td colspan="${columns}" class="muted">No results.</td></tr></tbody>`
  }</table></div>
${note}
</section>`;
}

/** Per-tensor compression report of each compressed variant; null when no result carries one. */
export function renderTensors(view: ReportView): string | null {
  // The report describes the variant's file, which is the same on every agent: show it once per variant.
  const seen = new Map<string, ComparisonRow>();
  for (const group of view.comparisons) {
    for (const row of group.rows) {
      const key = JSON.stringify([group.model, row.variant]);
      if (row.compressionTensors.length > 0 && !seen.has(key)) {
        seen.set(key, row);
      }
    }
  }
  if (seen.size === 0) {
    return null;
  }
  const blocks = [...seen.entries()].map(([key, row], index) => {
    const [model] = JSON.parse(key) as [string, string];
    const tensors = [...row.compressionTensors].sort((a, b) => b.bytesBefore - a.bytesBefore);
    const before = tensors.reduce((s, t) => s + t.bytesBefore, 0);
    const after = tensors.reduce((s, t) => s + t.bytesAfter, 0);
    const rows = tensors
      .map(
        (t) =>
          `<tr><td class="mono">${e(t.name)}</td><td class="mono">${e(t.shape.join('×'))}</td><td>${e(t.method)}</td>` +
          `<td class="num">${e(t.bits ?? '—')}</td><td class="num">${e(formatBytes(t.bytesBefore))}</td>` +
          `<td class="num">${e(formatBytes(t.bytesAfter))}</td><td class="num">${e(
            t.bytesAfter > 0 ? `${(t.bytesBefore / t.bytesAfter).toFixed(2)}×` : '—',
          )}</td><td class="num">${e(t.sqnrDb === null ? '—' : `${t.sqnrDb.toFixed(1)} dB`)}</td><td class="muted">${e(
            t.skipped ?? '',
          )}</td></tr>`,
      )
      .join('');
    return `<details class="tensors"${index === 0 ? ' open' : ''}><summary>${e(model)} · ${e(row.variant)} <span class="muted">— ${formatCount(
      tensors.length,
    )} tensors, ${e(formatBytes(before))} → ${e(formatBytes(after))}</span></summary>
<div class="table-wrap"><table class="data"><thead><tr><th>tensor</th><th>shape</th><th>method</th><th class="num">bits</th><th class="num">before</th><th class="num">after</th><th class="num">ratio</th><th class="num">SQNR</th><th>note</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
  });
  return `<section class="card" id="tensors">
<h2>Compression per tensor</h2>
<p class="hint">What each compressed variant did to each weight tensor, largest first. SQNR is the weight's signal-to-quantization-noise ratio: higher is closer to the original.</p>
${blocks.join('\n')}
</section>`;
}
