// How fast is the compressor, and how much memory does it take, on a 100-million-parameter model at the
// talk's setting (4-bit k-means, one LUT per 16 output channels)? Builds a synthetic model of a few large
// MatMul/Conv weights, compresses it in a fresh child process (so maxRSS is the compressor's own peak),
// and prints a table. Usage: node dist/scripts/bench-compression.js [--params=100000000] [--recipe=FILE]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  TensorProto_DataType,
  encodeOnnxModel,
  type ModelProto,
  type TensorProto,
  type ValueInfoProto,
  emptyTensorProto,
} from '#onnx';
import { compressModel, parseRecipe } from '#compression';

const TALK_RECIPE = `
name: palettize-4bit-grouped16
global:
  palettize: { mode: kmeans, nbits: 4, granularity: per_grouped_channel, group_size: 16 }
`;

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}

/** Deterministic, roughly normal weights, written straight into the raw buffer. */
function weight(name: string, dims: number[], seed: number): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i += 1) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = (u + s / 2 ** 32 - 1) * 0.05;
  }
  const t = emptyTensorProto();
  t.name = name;
  t.dataType = TensorProto_DataType.FLOAT;
  t.dims = dims.map(BigInt);
  t.rawData = Buffer.from(values.buffer);
  return t;
}

/** MatMul weights [4096, 4096] plus one Conv [512, 512, 3, 3] until the parameter budget is spent. */
function syntheticModel(params: number): ModelProto {
  const initializer: TensorProto[] = [];
  const node = [];
  let left = params;
  let prev = 'x';
  for (let i = 0; left > 0; i += 1) {
    const k = 4096;
    const n = Math.min(4096, Math.max(16, Math.floor(left / k)));
    const name = `w${i}`;
    initializer.push(weight(name, [k, n], i + 1));
    node.push({
      opType: 'MatMul',
      input: [prev, name],
      output: [`h${i}`],
      name: `mm${i}`,
      attribute: [],
      metadataProps: [],
    });
    prev = `h${i}`;
    left -= k * n;
  }
  initializer.push(weight('conv_w', [512, 512, 3, 3], 99));
  node.push({
    opType: 'Conv',
    input: ['img', 'conv_w'],
    output: ['c'],
    name: 'conv',
    attribute: [],
    metadataProps: [],
  });
  const value = (name: string): ValueInfoProto => ({
    name,
    type: { tensorType: { elemType: TensorProto_DataType.FLOAT } },
    metadataProps: [],
  });
  return {
    irVersion: 10n,
    opsetImport: [{ domain: '', version: 21n }],
    producerName: 'mlfarm-bench',
    metadataProps: [],
    trainingInfo: [],
    functions: [],
    graph: {
      name: 'synthetic',
      node,
      initializer,
      sparseInitializer: [],
      input: [value('x'), value('img')],
      output: [value(prev), value('c')],
      valueInfo: [],
      quantizationAnnotation: [],
      metadataProps: [],
    },
  };
}

function child(params: number, recipeText: string): void {
  const model = encodeOnnxModel(syntheticModel(params));
  const weights = model.byteLength / 4;
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  const t0 = performance.now();
  const { report } = compressModel(model, parseRecipe(recipeText, 'bench'));
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    JSON.stringify({
      weights: Math.round(weights),
      modelBytes: model.byteLength,
      seconds,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      rssBeforeBytes: rssBefore,
      ratio: report.totals.ratio,
      meanSqnrDb:
        report.tensors.reduce((a, t) => a + (t.sqnrDb ?? 0), 0) /
        Math.max(1, report.totals.compressedTensors),
    }),
  );
}

function main(): void {
  const params = Number(arg('params') ?? 100_000_000);
  const recipeFile = arg('recipe');
  const recipeText = recipeFile ? readFileSync(recipeFile, 'utf8') : TALK_RECIPE;
  if (process.argv.includes('--child')) {
    child(params, recipeText);
    return;
  }
  const out = execFileSync(
    process.execPath,
    [
      '--max-old-space-size=8192',
      fileURLToPath(import.meta.url),
      '--child',
      `--params=${params}`,
      ...(recipeFile ? [`--recipe=${recipeFile}`] : []),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const r = JSON.parse(out) as Record<string, number>;
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rows = [
    ['weights', r.weights!.toLocaleString('en-US')],
    ['model size', mib(r.modelBytes!)],
    ['compress time', `${r.seconds!.toFixed(1)} s`],
    ['throughput', `${(r.weights! / r.seconds! / 1e6).toFixed(2)} M weights/s`],
    ['peak RSS (child, incl. model build)', mib(r.peakRssBytes!)],
    ['RSS before compressing', mib(r.rssBeforeBytes!)],
    ['size ratio', r.ratio!.toFixed(3)],
    ['mean weight SQNR', `${r.meanSqnrDb!.toFixed(1)} dB`],
  ];
  const width = Math.max(...rows.map((row) => row[0]!.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join('\n')}\n`);
}

main();
