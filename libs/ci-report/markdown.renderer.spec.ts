import assert from 'node:assert/strict';
import test from 'node:test';
import { renderMarkdown, MAX_ADVICE_ROWS } from './markdown.renderer.js';
import {
  errorVerdict,
  hostileVerdict,
  inconclusiveVerdict,
  passVerdict,
  regressedVerdict,
} from './verdict.fixture.js';

/** The rows of the Markdown table that follows `heading`. */
function table(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `has ${heading}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('### ')) {
      break;
    }
    if (line.startsWith('| ')) {
      // Split on unescaped pipes only.
      rows.push(line.slice(2, -2).split(/(?<!\\) \| /));
    }
  }
  return rows;
}

await test('the headline names the status, suite, baseline and rounds in plain words', () => {
  const md = renderMarkdown(regressedVerdict());
  assert.match(md, /^## mlfarm gate: REGRESSED\n/);
  assert.match(md, /\*\*Suite\*\* ocr-det, \*\*baseline\*\* main, \*\*rounds\*\* 10 per side/);
  assert.match(renderMarkdown(passVerdict()), /^## mlfarm gate: PASS\n/);
  assert.match(renderMarkdown(inconclusiveVerdict()), /^## mlfarm gate: INCONCLUSIVE\n/);
  assert.match(renderMarkdown(errorVerdict()), /^## mlfarm gate: ERROR\n/);
  assert.ok(!/[\u{1F300}-\u{1FAFF}\u2600-\u27BF]/u.test(md), 'no emoji');
});

await test('one header row, one alignment row and one row per gating comparison, with readable numbers', () => {
  const md = renderMarkdown(regressedVerdict());
  const rows = table(md, '### Gating comparisons');
  assert.deepEqual(rows[0], [
    'Model',
    'Variant',
    'Agent',
    'Metric',
    'Base',
    'Head',
    'Change',
    '95 % CI',
    'p',
    'Verdict',
  ]);
  assert.equal(rows.length, 2 + 3);
  assert.ok(rows.every((r) => r.length === 10));
  assert.deepEqual(rows[3], [
    'det',
    'pal4',
    'agent-1',
    'latency',
    '12.3 ms',
    '13.8 ms',
    '+12.3 %',
    '[+8.1 %, +15.0 %]',
    '< 0.001',
    'REGRESSED, threshold 2.0 %',
  ]);
  assert.deepEqual(rows[4]!.slice(6, 9), ['-5.0 %', '[-8.0 %, -3.0 %]', '0.002']);
  // The muted size regression is advice, with sizes in MiB.
  const advice = table(md, '### Advice only');
  assert.equal(advice.length, 3);
  assert.deepEqual(advice[2]!.slice(3, 7), ['size', '1.18 MiB', '1.24 MiB', '+5.3 %']);
  assert.equal(advice[2]![9], 'REGRESSED (muted), threshold 1.0 %');
});

await test('per-operator advice lists the largest changes first, capped', () => {
  const md = renderMarkdown(regressedVerdict());
  const rows = table(md, '### Per-operator changes (largest 10 of 14)');
  assert.equal(rows.length, 2 + MAX_ADVICE_ROWS);
  assert.deepEqual(rows[2], ['det', 'pal4', 'agent-1', 'Conv', '7.1 ms', '8.4 ms', '+18.3 %']);
  assert.match(md, /4 more in the JSON output\./);
});

await test('non-gating rows, sizes, cosines and errors are rendered', () => {
  const md = renderMarkdown(passVerdict());
  const gating = table(md, '### Gating comparisons');
  assert.equal(gating.length, 2 + 4);
  assert.deepEqual(gating.find((r) => r[3] === 'fidelity')!.slice(4, 6), ['0.99999', '0.99999']);
  assert.deepEqual(gating.find((r) => r[3] === 'size')!.slice(4, 9), [
    '4.5 MiB',
    '4.5 MiB',
    '0.0 %',
    'n/a',
    'n/a',
  ]);
  assert.deepEqual(table(md, '### Advice only')[2]!.slice(3, 10), [
    'load_time',
    '80 ms',
    '120 ms',
    '+50.0 %',
    '[+30.0 %, +70.0 %]',
    '< 0.001',
    'REGRESSED (advice), threshold 10.0 %',
  ]);
  const errors = renderMarkdown(errorVerdict());
  assert.match(
    errors,
    /### Errors\n\n- task t-1 on agent-1 failed: out of memory at session\.run\n- no baseline "main" for fingerprint 0123456789ab\n/,
  );
  assert.match(errors, /No gating comparison was made\./);
});

await test('cells escape pipes, markup and line breaks so hostile names cannot break the table', () => {
  const md = renderMarkdown(hostileVerdict());
  assert.ok(!md.includes('<b>'));
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u0008\u000B-\u001F]/.test(md));
  const rows = table(md, '### Gating comparisons');
  assert.ok(
    rows.every((r) => r.length === 10),
    JSON.stringify(rows),
  );
  assert.equal(rows[2]![0], 'm&lt;b&gt;"x" &amp; \'y\'&lt;/b&gt;\\|\\[31m \\]\\]&gt;');
  // Comparison tables have 10 columns, the per-operator table 7: 11 or 8 unescaped pipes per line.
  for (const line of md.split('\n').filter((l) => l.startsWith('| '))) {
    const pipes = line.split(/(?<!\\)\|/).length - 1;
    assert.ok(pipes === 11 || pipes === 8, line);
  }
});
