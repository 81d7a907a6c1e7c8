import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { RecipeError } from './recipe.exception.js';
import { recipeHash } from './recipe-hash.util.js';
import { parseRecipe } from './recipe.parser.js';

const RECIPES = join(process.cwd(), 'recipes');

function rejects(text: string, path: string, detail: RegExp): void {
  assert.throws(
    () => parseRecipe(text, 'r.yaml'),
    (error: unknown) => error instanceof RecipeError && error.path === path && detail.test(error.message),
  );
}

await test('every shipped recipe parses and hashes', () => {
  const files = readdirSync(RECIPES).filter((f) => /\.(ya?ml|json)$/.test(f));
  assert.ok(files.length >= 9);
  for (const file of files) {
    const recipe = parseRecipe(readFileSync(join(RECIPES, file), 'utf8'), file);
    assert.match(recipeHash(recipe), /^[0-9a-f]{64}$/);
  }
});

await test('the talk config normalizes with defaults filled in', () => {
  const r = parseRecipe(readFileSync(join(RECIPES, 'palettize-4bit-grouped16.yaml'), 'utf8'));
  assert.deepEqual(r.global?.palettize, {
    mode: 'kmeans',
    nbits: 4,
    granularity: 'per_grouped_channel',
    groupSize: 16,
    perChannelScale: false,
    lutDtype: 'float32',
  });
  assert.equal(r.global?.weightThreshold, 2048);
});

await test('errors name the key path and the allowed values', () => {
  rejects(
    'global: { palettize: { nbits: 5 } }',
    'global.palettize.nbits',
    /one of 1, 2, 3, 4, 6, 8 \(got 5\)/,
  );
  rejects(
    'global: { palettize: { nbits: 4, mode: fast } }',
    'global.palettize.mode',
    /kmeans, uniform, unique/,
  );
  rejects(
    'op_type_configs: { Conv: { quantise: {} } }',
    'op_type_configs.Conv.quantise',
    /allowed: weight_threshold, prune/,
  );
  rejects('glob: {}', 'glob', /unknown key; allowed: name, description, seed, global/);
  rejects('global: { prune: { mode: n_m, n_m_ratio: "4:2" } }', 'global.prune.n_m_ratio', /1 <= n < m/);
  rejects(
    'global: { prune: { mode: threshold, target_sparsity: 0.5 } }',
    'global.prune.target_sparsity',
    /does not apply/,
  );
  rejects(
    'global: { quantize: { dtype: int8, format: matmul_nbits } }',
    'global.quantize.dtype',
    /int4, uint4 with format matmul_nbits/,
  );
  rejects('global: { palettize: { nbits: 4 }, quantize: { dtype: int8 } }', 'global.quantize', /cannot both/);
  rejects('[1, 2', '', /not valid JSON\/YAML/);
});

await test('hash: stable across key order, formats and names; sensitive to settings', () => {
  const a = parseRecipe('name: a\nglobal:\n  palettize: { nbits: 4, mode: kmeans }\n');
  const b = parseRecipe('{"global": {"palettize": {"mode": "kmeans", "nbits": 4}}, "name": "b"}');
  const c = parseRecipe('global:\n  palettize: { nbits: 8 }\n');
  assert.equal(recipeHash(a), recipeHash(b));
  assert.notEqual(recipeHash(a), recipeHash(c));
});

await test('null overrides are kept (they disable compression for that op)', () => {
  const r = parseRecipe('global: { quantize: { dtype: int8 } }\nop_type_configs: { Conv: null }\n');
  assert.equal(r.opTypeConfigs.Conv, null);
});

await test('recipes are parsed as plain data: no custom tags, bounded aliases, bounded size', () => {
  const refused = (text: string, pattern: RegExp): void =>
    assert.throws(
      () => parseRecipe(text, 'evil.yaml'),
      (e: unknown) => e instanceof RecipeError && pattern.test(e.message),
    );
  refused('kind: !!js/function "function () { return 1 }"\n', /tag/i);
  refused('kind: !custom thing\n', /tag/i);
  // "Billion laughs": each level doubles; without a bound the last line expands to 2^20 strings.
  const laughs = ['a: &a ["lol", "lol"]'];
  for (let i = 1; i <= 20; i++) {
    laughs.push(`l${i}: &l${i} [*${i === 1 ? 'a' : `l${i - 1}`}, *${i === 1 ? 'a' : `l${i - 1}`}]`);
  }
  refused(laughs.join('\n'), /alias/i);
  refused('a: 1\na: 2\n', /unique|duplicate/i);
  refused(`name: "${'x'.repeat(70 * 1024)}"\n`, /at most 65536/);
  // __proto__ stays a plain (unknown) key: it neither pollutes Object.prototype nor passes validation.
  assert.throws(() => parseRecipe('__proto__: { polluted: true }\n'), RecipeError);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
