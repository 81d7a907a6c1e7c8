import { type Command } from 'commander';
import { lastValueFrom } from 'rxjs';
import { BUNDLED_SHAPES, bundledModelPath } from '#common';
import { uploadModel } from '../support/grpc-calls.js';
import { followRun } from '../support/run-client.js';
import { type ScenarioOptions, addScenarioOptions, buildScenario } from '../support/scenario-options.js';
import { startEmbeddedFarm } from '../support/embedded-farm.js';
import { readRecipes } from '../support/recipe-files.js';

interface BenchOptions extends ScenarioOptions {
  json?: string;
  dataDir: string;
  verbose: boolean;
}

export function registerBench(program: Command): void {
  addScenarioOptions(
    program
      .command('bench')
      .description('measure models on this machine (embedded coordinator + agent, same gRPC path as a farm)')
      .argument(
        '[models...]',
        'ONNX model files; default: the bundled PaddleOCR v4 text-detection model at 1x3x640x640',
      ),
  )
    .option('--json <file>', 'write the result JSON here')
    .option(
      '--data-dir <dir>',
      'where the embedded coordinator keeps its SQLite file and artifacts',
      '.mlfarm',
    )
    .option('-v, --verbose', 'show coordinator and agent logs', false)
    .action(async (models: string[], options: BenchOptions) => {
      process.exitCode = await bench(models, options);
    });
}

async function bench(models: string[], options: BenchOptions): Promise<number> {
  const paths = models.length > 0 ? models : [bundledModelPath('det')];
  if (models.length === 0 && !options.shape) {
    const { input, dims } = BUNDLED_SHAPES.det;
    options.shape = [{ input, dims: dims.map(String) }];
    process.stderr.write(
      `no model given: measuring the bundled PaddleOCR v4 text detector at ${dims.join('x')}\n`,
    );
  }
  const farm = await startEmbeddedFarm({
    dataDir: options.dataDir,
    executionProviders: options.ep ?? [],
    intraOpThreads: options.threads ?? 0,
    interOpThreads: options.interThreads ?? 0,
    verbose: options.verbose,
  });
  try {
    const refs = [];
    for (const path of paths) {
      const uploaded = await uploadModel(farm.client, path);
      refs.push({ sha256: uploaded.sha256, name: path.split('/').pop() ?? path });
    }
    const scenario = await buildScenario(farm.client, options);
    const { run } = await lastValueFrom(
      farm.client.coordinator.submitRun({
        models: refs,
        target: {
          labels: [],
          executionProviders: options.ep ?? [],
          agents: [farm.agentId],
          anyOneAgent: false,
          runtimes: options.runtime ?? [],
        },
        recipes: await readRecipes(options.recipe ?? []),
        scenario,
        name: `bench ${refs.map((r) => r.name).join(' ')}`,
      }),
    );
    return await followRun(farm.client, run!.id, { json: options.json });
  } finally {
    await farm.close();
  }
}
