import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderRunReport } from './report-html.renderer.js';
import { jsonForScript } from './report-format.util.js';
import { boxStats } from './report-stats.util.js';
import { buildReportView } from './report-view.builder.js';
import { type ResultJson } from './result-json.js';
import { type ReportView } from './report-view.types.js';
import { syntheticResultJson } from './synthetic-result.fixture.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** What exists today: originals only, on CPU, two agents. */
function originalsOnCpu(): ResultJson {
  return syntheticResultJson({
    nodes: 40,
    variants: ['original'],
    agents: [
      { name: 'a-small', ep: 'cpu', speed: 1 },
      { name: 'a-big', ep: 'cpu', speed: 0.6 },
    ],
    samples: 20,
  });
}

function pageData(html: string): Pick<ReportView, 'results' | 'hardware'> {
  const match = /<script type="application\/json" id="mlfarm-data">(.*?)<\/script>/s.exec(html);
  assert.ok(match, 'the page embeds its data');
  return JSON.parse(match[1]!) as Pick<ReportView, 'results' | 'hardware'>;
}

await test('user text is escaped in the HTML and survives the embedded JSON unchanged', () => {
  const json = originalsOnCpu();
  json.run.name = `run </script>${HOSTILE}`;
  json.results[0]!.model = `m${HOSTILE}.onnx`;
  const html = renderRunReport(json);
  const withoutScripts = html.replace(/<script[\s\S]*?<\/script>/g, '');
  assert.ok(!withoutScripts.includes(HOSTILE), 'no raw markup from user data');
  assert.ok(withoutScripts.includes('&lt;img src=x onerror=alert(1)&gt;'));
  const data = pageData(html);
  assert.ok(
    data.results.some((r) => r.ops.some((o) => o[0].includes(HOSTILE))),
    'node name kept verbatim',
  );
  assert.ok(data.results.some((r) => r.model === `m${HOSTILE}.onnx`));
  assert.deepEqual(JSON.parse(jsonForScript({ s: '</script><!--\u2028' })), { s: '</script><!--\u2028' });
  assert.ok(!jsonForScript({ s: '</script>' }).includes('<'));
});

await test('a run of originals on CPU: every section, no change colours, no tensor section', () => {
  const html = renderRunReport(originalsOnCpu());
  for (const id of ['summary', 'latency', 'variants', 'hardware', 'ops']) {
    assert.ok(html.includes(`<section class="card" id="${id}">`), id);
  }
  for (const chart of ['chart-latency', 'chart-hardware', 'chart-optypes']) {
    assert.ok(html.includes(`id="${chart}"`), chart);
  }
  assert.ok(!html.includes('id="tensors"'));
  assert.ok(!/class="change (better|worse)/.test(html.replace(/<p class="hint">.*?<\/p>/gs, '')));
  assert.ok(html.includes('Only the original model was measured'));
  assert.ok(
    !/<script[^>]+src=|<link[^>]+href="(?!data:)|https?:\/\/[^"'\s]+\.(js|css)/.test(html),
    'nothing to fetch',
  );
  const data = pageData(html);
  assert.equal(data.results.length, 2);
  assert.deepEqual(data.hardware.categories, ['a-big · cpu', 'a-small · cpu']);
  assert.equal(
    data.results.reduce((n, r) => n + r.fallbackCount, 0),
    0,
    'CPU results have no fallback',
  );
});

await test('variants: changes against the original on the same agent, fidelity and tensors shown', () => {
  const json = syntheticResultJson({ nodes: 60, samples: 50 });
  const view = buildReportView(json);
  assert.equal(view.comparisons.length, 3, 'one group per agent/EP');
  for (const group of view.comparisons) {
    assert.equal(group.rows[0]!.variant, 'original');
    assert.equal(group.rows[0]!.cells.sizeBytes.change, null);
    const int8 = group.rows.find((r) => r.variant === 'int8-per-channel')!;
    assert.equal(int8.cells.sizeBytes.verdict, 'better');
    assert.ok(int8.cells.sizeBytes.change! < -0.5);
    assert.equal(int8.cells.loadMs.verdict, 'worse');
    assert.ok(int8.fidelity && int8.fidelity.cosine > 0.99);
  }
  const html = renderRunReport(json);
  assert.ok(html.includes('class="change better"'));
  assert.ok(html.includes('class="change worse"'));
  assert.ok(html.includes('id="tensors"'));
  assert.ok(html.includes('0.99991'));
});

await test('the median only counts as changed when the 95 % CIs do not overlap', () => {
  const json = originalsOnCpu();
  const original = json.results[0]!;
  const variant = (median: number, ci95: [number, number]): typeof original => ({
    ...original,
    variant: 'v',
    latencyMs: { ...original.latencyMs, median, ci95 },
  });
  original.latencyMs = { ...original.latencyMs, median: 10, ci95: [9, 11] };
  json.results = [original, variant(10.5, [10.2, 10.9]), { ...variant(7, [6, 8]), variant: 'w' }];
  const rows = buildReportView(json).comparisons[0]!.rows;
  assert.equal(rows.find((r) => r.variant === 'v')!.cells.median.verdict, 'same');
  assert.equal(rows.find((r) => r.variant === 'w')!.cells.median.verdict, 'better');
});

await test('nodes on the CPU under another EP are flagged, with ORT reason where given', () => {
  const json = syntheticResultJson({ nodes: 200, variants: ['original'], samples: 10 });
  const view = buildReportView(json);
  const gpu = view.results.find((r) => r.ep === 'webgpu')!;
  assert.ok(gpu.fallbackCount > 0);
  const flagged = gpu.ops.filter((o) => o[5] === 1);
  assert.ok(flagged.every((o) => o[2] === 'CPUExecutionProvider'));
  assert.ok(
    flagged.some((o) => o[6].includes('not supported')),
    'reason carried',
  );
  assert.ok(view.results.filter((r) => r.ep === 'cpu').every((r) => r.fallbackCount === 0));
  assert.ok(
    gpu.ops.every((o, i) => i === 0 || gpu.ops[i - 1]![3] >= o[3]),
    'slowest first',
  );
});

await test('box statistics follow Tukey and the interpolated quartiles', () => {
  const stats = boxStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 100])!;
  assert.deepEqual(stats.box, [1, 3.25, 5.5, 7.75, 9]);
  assert.deepEqual(stats.outliers, [100]);
  assert.equal(boxStats([]), null);
});
