import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { RunState } from '#contracts';
import { bundledModelPath } from '#common';
import { DEBIAN_CHROMIUM, HEADLESS_CHROMIUM_ARGS } from '#report';
import { TestFarm } from '../support/test-farm.js';

/**
 * The HTML report of a real run (two agents, real ONNX Runtime on the PaddleOCR detector), served by the
 * coordinator and opened in real headless Chromium: it draws, it sorts, it filters, it fetches nothing.
 */

const CHROMIUM = DEBIAN_CHROMIUM;
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

interface OpsState {
  sort: string | null;
  count: string;
  rows: { node: string; opType: string; provider: string; ms: number }[];
}

// Page expressions are strings: this project compiles without the DOM typings.
const READ_OPS = `(() => ({
  sort: document.querySelector('#ops-table th[data-key="3"]').getAttribute('aria-sort'),
  count: document.getElementById('ops-count').textContent,
  rows: [...document.querySelectorAll('#ops-table tbody tr')]
    .filter((tr) => tr.querySelector('td.node'))
    .map((tr) => ({
      node: tr.querySelector('td.node').textContent,
      opType: tr.querySelector('td.optype').textContent,
      provider: tr.querySelector('td.provider').textContent,
      ms: parseFloat(tr.querySelectorAll('td.num')[0].textContent),
    })),
}))()`;

// A chart counts as drawn when its canvas has painted pixels (or its SVG has shapes).
const CHARTS_DRAWN = `[...document.querySelectorAll('.chart')].map((el) => {
  const svg = el.querySelector('svg');
  const canvases = [...el.querySelectorAll('canvas')];
  const painted = canvases.some((c) => {
    if (c.width === 0 || c.height === 0) return false;
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  });
  return { id: el.id, drawn: painted || (svg !== null && svg.querySelectorAll('path,rect,text').length > 0) };
})`;

function totalOf(count: string): number {
  // "1–50 of 672 nodes (filtered from 700)" -> 672
  const match = /of ([\d,]+) nodes/.exec(count);
  assert.ok(match, `count label: ${count}`);
  return Number(match[1]!.replace(/,/g, ''));
}

function assertSorted(rows: OpsState['rows'], direction: 'ascending' | 'descending'): void {
  assert.ok(rows.length > 1, 'rows to compare');
  for (let i = 1; i < rows.length; i += 1) {
    const [a, b] = [rows[i - 1]!.ms, rows[i]!.ms];
    assert.ok(
      direction === 'ascending' ? a <= b : a >= b,
      `row ${i} out of ${direction} order: ${a} then ${b}`,
    );
  }
}

async function readOps(page: Page): Promise<OpsState> {
  return page.evaluate<OpsState>(READ_OPS);
}

await test(
  'the report of a real run draws, sorts and filters in headless Chromium',
  { timeout: 240_000 },
  async (t) => {
    if (!existsSync(CHROMIUM)) {
      t.skip(`${CHROMIUM} is missing: install Debian's chromium to run the browser test`);
      return;
    }
    const farm = await TestFarm.start([
      { name: 'report-a', labels: ['tier=small'], threads: 1 },
      { name: 'report-b', labels: ['tier=big'], threads: 2 },
    ]);
    t.after(() => farm.close());
    const det = await farm.upload(await readFile(bundledModelPath('det')), 'det.onnx');
    const { run } = await farm.submit({
      name: 'report <e2e>',
      models: [{ sha256: det.sha256, name: 'det.onnx' }],
    });
    const events = await farm.watch(run!.id);
    assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED, 'the run succeeded');

    const base = `http://${farm.coordinator.httpAddress}/reports`;
    const missing = await fetch(`${base}/run_does_not_exist`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await missing.text(), /not found/);

    const url = `${base}/${encodeURIComponent(run!.id)}`;
    const served = await fetch(url);
    assert.equal(served.status, 200, 'GET /reports/:runId answers (is ReportController registered?)');
    assert.match(served.headers.get('content-type') ?? '', /^text\/html/);
    const html = await served.text();
    assert.ok(html.includes('det.onnx') && html.includes(run!.id), 'the page names the model and the run');

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: HEADLESS_CHROMIUM_ARGS,
    });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => (m.type() === 'error' ? problems.push(`console: ${m.text()}`) : undefined));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (r) => requests.push(r.url()));

    await page.goto(url);
    await page.waitForFunction('window.__mlfarmReady !== undefined', null, { timeout: 30_000 });

    const charts = await page.evaluate<{ id: string; drawn: boolean }[]>(CHARTS_DRAWN);
    assert.deepEqual(
      charts.map((c) => c.id),
      ['chart-latency', 'chart-hardware', 'chart-optypes'],
    );
    for (const chart of charts) {
      assert.ok(chart.drawn, `${chart.id} has drawn`);
    }

    // Default: slowest first. The time header toggles the order, both ways.
    const initial = await readOps(page);
    assert.equal(initial.sort, 'descending');
    assertSorted(initial.rows, 'descending');
    const total = totalOf(initial.count);
    assert.ok(total > 100, `the detector has hundreds of nodes (${total})`);
    await page.click('#ops-table th[data-key="3"]');
    const ascending = await readOps(page);
    assert.equal(ascending.sort, 'ascending');
    assertSorted(ascending.rows, 'ascending');
    assert.ok(ascending.rows[0]!.ms <= initial.rows.at(-1)!.ms, 'fastest nodes now come first');
    await page.click('#ops-table th[data-key="3"]');
    const descending = await readOps(page);
    assert.equal(descending.sort, 'descending');
    assertSorted(descending.rows, 'descending');
    assert.deepEqual(descending.rows, initial.rows);

    // The filter narrows the rows to those that match, and clearing it brings them all back.
    await page.fill('#ops-filter', 'conv');
    const convs = await readOps(page);
    assert.ok(totalOf(convs.count) > 0 && totalOf(convs.count) < total, convs.count);
    assert.ok(convs.rows.every((r) => `${r.node} ${r.opType} ${r.provider}`.toLowerCase().includes('conv')));
    const one = initial.rows[0]!.node;
    await page.fill('#ops-filter', one);
    const single = await readOps(page);
    assert.ok(single.rows.some((r) => r.node === one));
    assert.ok(totalOf(single.count) < totalOf(convs.count) || totalOf(single.count) === 1, single.count);
    await page.fill('#ops-filter', '');
    assert.equal(totalOf((await readOps(page)).count), total);

    assert.deepEqual(problems, [], 'no console errors and no page errors');
    assert.deepEqual(requests, [url], 'the page fetches nothing but itself');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}report.png`, fullPage: true });
  },
);
