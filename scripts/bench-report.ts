// How long does the report of a 1,000-node model take to open in a real browser? Renders a synthetic
// run (1,000 nodes, 3 variants, 3 agents, 200 samples each) to a file and opens it in headless Chromium
// several times, each in a fresh browser context, timing navigation start -> window.__mlfarmReady (set by
// the page once every chart has drawn and the op table is filled). The target is under 2 s.
// Usage: node dist/scripts/bench-report.js [--runs=5] [--nodes=1000] [--chromium=/usr/bin/chromium]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { DEBIAN_CHROMIUM, HEADLESS_CHROMIUM_ARGS, renderRunReport, syntheticResultJson } from '#report';

function arg(name: string, fallback: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
}

function intArg(name: string, fallback: number): number {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer`);
  }
  return value;
}

const RUNS = intArg('runs', 5);
const NODES = intArg('nodes', 1000);
const CHROMIUM = arg('chromium', DEBIAN_CHROMIUM);
const TARGET_MS = 2000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const renderStart = performance.now();
  const html = renderRunReport(syntheticResultJson({ nodes: NODES }));
  const renderMs = performance.now() - renderStart;
  const dir = await mkdtemp(join(tmpdir(), 'mlfarm-bench-report-'));
  const file = join(dir, 'report.html');
  await writeFile(file, html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: HEADLESS_CHROMIUM_ARGS,
  });
  const rows: { run: number; readyMs: number; domContentLoadedMs: number; errors: number }[] = [];
  try {
    for (let run = 1; run <= RUNS; run += 1) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      let errors = 0;
      page.on('pageerror', () => (errors += 1));
      page.on('console', (m) => (m.type() === 'error' ? (errors += 1) : undefined));
      await page.goto(pathToFileURL(file).href);
      // Expressions as strings: this file compiles without the DOM typings.
      await page.waitForFunction('window.__mlfarmReady !== undefined', null, { timeout: 30_000 });
      const timing = await page.evaluate<{ ready: number; dcl: number }>(
        "({ ready: window.__mlfarmReady, dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd })",
      );
      rows.push({ run, readyMs: timing.ready, domContentLoadedMs: timing.dcl, errors });
      await context.close();
    }
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
  const med = median(rows.map((r) => r.readyMs));
  process.stdout.write(
    `report of a ${NODES.toLocaleString('en-US')}-node model: ${(html.length / 2 ** 20).toFixed(2)} MiB HTML, rendered in ${renderMs.toFixed(0)} ms (Node)\n\n`,
  );
  process.stdout.write(
    '| run | DOMContentLoaded (ms) | time to rendered (ms) | page errors |\n|---|---|---|---|\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.run} | ${r.domContentLoadedMs.toFixed(0)} | ${r.readyMs.toFixed(0)} | ${r.errors} |\n`,
    );
  }
  process.stdout.write(
    `\nmedian time to rendered: ${med.toFixed(0)} ms (target < ${TARGET_MS} ms: ${med < TARGET_MS ? 'met' : 'NOT met'})\n`,
  );
  if (rows.some((r) => r.errors > 0)) {
    process.exitCode = 1;
  }
}

await main();
