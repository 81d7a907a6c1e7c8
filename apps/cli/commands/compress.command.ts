import { readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  type CompressionReport,
  type Recipe,
  compressModel,
  normalizeRecipe,
  parseRecipe,
} from '#compression';
import { bytes, percent, renderTable } from '../output/table.js';
import { CliError } from '../support/cli-error.js';

interface CompressOptions {
  recipe?: string;
  output: string;
  palettize?: number;
  groupSize?: number;
  mode?: string;
  quantize?: string;
  blockSize?: number;
  prune?: number;
  json?: string;
}

export function registerCompress(program: Command): void {
  program
    .command('compress')
    .description(
      'compress an ONNX model with a recipe (palettization, quantization, pruning) and print the report',
    )
    .argument('<model>', 'ONNX model file')
    .requiredOption('-o, --output <file>', 'where to write the compressed model')
    .option('--recipe <file>', 'JSON/YAML recipe (see recipes/)')
    .option('--palettize <nbits>', 'inline: k-means palettization with this many bits (1,2,3,4,6,8)', number)
    .option('--group-size <n>', 'inline, with --palettize: one LUT per n output channels', number)
    .option('--mode <mode>', 'inline, with --palettize: kmeans, uniform or unique')
    .option(
      '--quantize <dtype>',
      'inline: linear symmetric quantization: int8, uint8 (per channel), int4, uint4',
    )
    .option('--block-size <n>', 'inline, with --quantize: one scale per n weights (per_block)', number)
    .option('--prune <sparsity>', 'inline: magnitude pruning to this fraction of zeros (0..1)', number)
    .option('--json <file>', 'write the compression report as JSON here')
    .action(async (model: string, options: CompressOptions) => {
      process.exitCode = await compress(model, options);
    });
}

function number(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`expected a number, got '${text}'`);
  }
  return n;
}

async function compress(modelPath: string, options: CompressOptions): Promise<number> {
  const recipe = await loadRecipe(options);
  const modelBytes = await readFile(modelPath).catch((error: unknown) => {
    throw new CliError(
      `cannot read model ${modelPath}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  let result;
  try {
    result = compressModel(modelBytes, recipe);
  } catch (error) {
    throw new CliError(`${modelPath}: ${error instanceof Error ? error.message : String(error)}`);
  }
  await writeFile(options.output, result.bytes);
  if (options.json) {
    await writeFile(options.json, `${JSON.stringify(result.report, null, 2)}\n`);
  }
  process.stdout.write(`${renderReport(result.report)}\n`);
  return 0;
}

async function loadRecipe(options: CompressOptions): Promise<Recipe> {
  const inline =
    options.palettize !== undefined || options.quantize !== undefined || options.prune !== undefined;
  if (options.recipe && inline) {
    throw new CliError('give either --recipe or the inline --palettize/--quantize/--prune options, not both');
  }
  if (options.recipe) {
    const path = options.recipe;
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new CliError(
        `cannot read recipe ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return parseRecipe(text, path);
  }
  if (!inline) {
    throw new CliError('nothing to do: give --recipe FILE or one of --palettize, --quantize, --prune');
  }
  if (options.palettize !== undefined && options.quantize !== undefined) {
    throw new CliError('--palettize and --quantize cannot be combined (either may follow --prune)');
  }
  if ((options.groupSize !== undefined || options.mode !== undefined) && options.palettize === undefined) {
    throw new CliError('--group-size and --mode need --palettize');
  }
  if (options.blockSize !== undefined && options.quantize === undefined) {
    throw new CliError('--block-size needs --quantize');
  }
  const global: Record<string, unknown> = {};
  if (options.prune !== undefined) {
    global.prune = { mode: 'magnitude', target_sparsity: options.prune };
  }
  if (options.palettize !== undefined) {
    global.palettize = {
      mode: options.mode ?? 'kmeans',
      nbits: options.palettize,
      ...(options.groupSize !== undefined
        ? { granularity: 'per_grouped_channel', group_size: options.groupSize }
        : {}),
    };
  }
  if (options.quantize !== undefined) {
    global.quantize = {
      mode: 'linear_symmetric',
      dtype: options.quantize,
      ...(options.blockSize !== undefined
        ? { granularity: 'per_block', block_size: options.blockSize }
        : { granularity: 'per_channel' }),
    };
  }
  // Errors name the recipe keys; the flags map onto them one to one.
  return normalizeRecipe({ name: 'inline', global }, 'command line');
}

function renderReport(report: CompressionReport): string {
  const done = report.tensors.filter((t) => t.skipped === undefined);
  const rows = done.map((t) => [
    t.name,
    t.shape.join('x'),
    t.method,
    t.storage ?? '',
    String(t.bits ?? ''),
    bytes(t.bytesBefore),
    bytes(t.bytesAfter),
    t.sqnrDb === null ? 'exact' : t.sqnrDb.toFixed(1),
    t.sparsity === undefined ? '' : percent(t.sparsity),
  ]);
  const table = renderTable(
    ['tensor', 'shape', 'method', 'storage', 'bits', 'before', 'after', 'SQNR dB', 'sparsity'],
    rows,
    [false, false, false, false, true, true, true, true, true],
  );
  const skipped = new Map<string, number>();
  for (const t of report.tensors) {
    if (t.skipped !== undefined) {
      // Threshold skips differ only in the count; group them.
      const reason = t.skipped.includes('weight_threshold') ? 'below weight_threshold' : t.skipped;
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    }
  }
  const { totals } = report;
  const lines = [
    table,
    '',
    ...[...skipped].map(([reason, n]) => `skipped ${n}: ${reason}`),
    ...report.notes.map((n) => `note: ${n}`),
    `opset ${report.opsetBefore} -> ${report.opsetAfter}; recipe ${report.recipeName ?? ''} ${report.recipeHash.slice(0, 12)}`,
    `size ${bytes(totals.originalSizeBytes)} -> ${bytes(totals.sizeBytes)} (ratio ${totals.ratio.toFixed(3)}); ` +
      `gzip ${bytes(totals.originalGzipSizeBytes)} -> ${bytes(totals.gzipSizeBytes)} (ratio ${totals.gzipRatio.toFixed(3)})`,
  ];
  return lines.join('\n');
}
