import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { bundledModelPath } from '#common';
import { compressModel } from './compress.service.js';
import { syntheticWeights } from './compression-test.fixture.js';
import { prune, pruneUnfit } from './prune.util.js';
import { normalizeRecipe, parseRecipe } from './recipe.parser.js';

const NM = normalizeRecipe({ global: { weight_threshold: 0, prune: { mode: 'n_m', n_m_ratio: '2:4' } } })
  .global!.prune!;

await test('2:4 on a Conv weight [O, I, kh, kw]: groups of 4 consecutive input channels per (o, kh, kw)', () => {
  const [O, I, kh, kw] = [6, 8, 3, 3];
  const w = syntheticWeights(O * I * kh * kw, 9);
  const out = prune(w, [O, I, kh, kw], 1, NM);
  const at = (o: number, i: number, s: number): number => (o * I + i) * kh * kw + s;
  for (let o = 0; o < O; o += 1) {
    for (let s = 0; s < kh * kw; s += 1) {
      for (let g = 0; g < I; g += 4) {
        const group = [0, 1, 2, 3].map((j) => at(o, g + j, s));
        const kept = group.filter((e) => out[e] !== 0);
        assert.equal(kept.length, 2, `o ${o} s ${s} group ${g}`);
        // The two kept are the two largest |w| of the group, unchanged.
        const largest = [...group].sort((a, b) => Math.abs(w[b]!) - Math.abs(w[a]!)).slice(0, 2);
        assert.deepEqual([...kept].sort(), [...largest].sort());
        kept.forEach((e) => assert.equal(out[e], w[e]));
      }
    }
  }
});

await test('2:4 refuses an input axis shorter than 4 (depthwise Conv) instead of grouping kernel positions', () => {
  assert.match(pruneUnfit([32, 1, 5, 5], 1, NM)!, /depthwise/);
  assert.match(pruneUnfit([16, 3, 3, 3], 1, NM)!, /length 3/);
  assert.equal(pruneUnfit([16, 4, 3, 3], 1, NM), null);
  assert.equal(
    pruneUnfit([32, 1, 5, 5], 1, { mode: 'magnitude', targetSparsity: 0.5, storage: 'auto' }),
    null,
  );
});

await test('PaddleOCR det with prune-2of4: depthwise convs skipped with the reason, the rest exactly 50 %', () => {
  const det = readFileSync(bundledModelPath('det'));
  const recipe = parseRecipe(readFileSync(join(process.cwd(), 'recipes', 'prune-2of4.yaml'), 'utf8'));
  const { report } = compressModel(det, recipe);
  const depthwise = report.tensors.filter(
    (t) => t.shape.length === 4 && t.shape[1] === 1 && !/threshold/.test(t.skipped ?? ''),
  );
  assert.ok(depthwise.length >= 8, `${depthwise.length} depthwise weights above the threshold`);
  for (const t of depthwise) {
    assert.match(
      t.skipped ?? '',
      /n:m 2:4 needs groups of 4 along axis 1, which has length 1 \(depthwise/,
      t.name,
    );
    assert.equal(t.method, 'none');
  }
  const pruned = report.tensors.filter((t) => t.method === 'prune(n_m)');
  assert.ok(pruned.length >= 30, `${pruned.length} pruned`);
  for (const t of pruned) {
    assert.ok(t.shape[1]! >= 4, t.name);
    assert.ok(t.sparsity! >= 0.5, `${t.name}: sparsity ${t.sparsity}`);
  }
});

await test('prune + quantize on a depthwise weight: quantized, pruning skipped and noted', () => {
  const recipe = normalizeRecipe({
    global: {
      weight_threshold: 0,
      prune: { mode: 'n_m', n_m_ratio: '2:4' },
      quantize: { dtype: 'int8', granularity: 'per_channel' },
    },
  });
  const det = readFileSync(bundledModelPath('det'));
  const { report } = compressModel(det, recipe);
  const dw = report.tensors.find((t) => t.name === 'conv2d_406.w_0')!;
  assert.deepEqual(dw.shape, [192, 1, 5, 5]);
  assert.equal(dw.skipped, undefined);
  assert.match(dw.method, /^quantize\(/);
  assert.equal(dw.sparsity, undefined);
  assert.match(dw.notes?.[0] ?? '', /^prune skipped: n:m 2:4 .*depthwise/);
  const pw = report.tensors.find((t) => t.name === 'conv2d_407.w_0')!;
  assert.match(pw.method, /^prune\(n_m\)\+quantize\(/);
  assert.ok(pw.sparsity! >= 0.5);
});
