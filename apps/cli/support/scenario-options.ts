import { type Command, Option } from 'commander';
import {
  ArtifactKind,
  type GrpcClient,
  GraphOptimizationLevel,
  type InputFile,
  type Scenario,
  type Shape,
} from '#contracts';
import { uploadFile } from './grpc-calls.js';
import {
  collectInputFile,
  collectShape,
  collectString,
  nonNegativeInt,
  positiveInt,
} from './option-parsers.js';

export interface ScenarioOptions {
  iterations?: number;
  warmup?: number;
  minDurationMs?: number;
  threads?: number;
  interThreads?: number;
  graphOpt?: 'disabled' | 'basic' | 'extended' | 'all';
  profile: boolean;
  profileIterations?: number;
  seed?: number;
  shape?: Shape[];
  input?: { input: string; path: string }[];
  ep?: string[];
  timeoutMs?: number;
  recipe?: string[];
  runtime?: string[];
}

const LEVELS = {
  disabled: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_DISABLED,
  basic: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_BASIC,
  extended: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_EXTENDED,
  all: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_ALL,
} as const;

/** The measurement flags shared by `bench` and `submit`. */
export function addScenarioOptions(command: Command): Command {
  return command
    .option(
      '--ep <name>',
      'execution provider (repeatable): cpu, webgpu, cuda, ...; default cpu',
      collectString,
    )
    .option(
      '--shape <input=DIMS>',
      'shape of an input with dynamic dimensions, e.g. x=1x3x640x640 (repeatable)',
      collectShape,
    )
    .option(
      '--input <input=FILE>',
      'feed an input from a .npy or ONNX TensorProto .pb file (repeatable)',
      collectInputFile,
    )
    .option('-n, --iterations <n>', 'timed iterations (default 50)', positiveInt('--iterations'))
    .option('--min-duration-ms <ms>', 'keep iterating at least this long', positiveInt('--min-duration-ms'))
    .option(
      '--warmup <n>',
      'untimed warm-up runs after the first inference (default 5)',
      positiveInt('--warmup'),
    )
    .option('--threads <n>', 'intra-op threads (default: ONNX Runtime decides)', nonNegativeInt('--threads'))
    .option('--inter-threads <n>', 'inter-op threads', nonNegativeInt('--inter-threads'))
    .addOption(new Option('--graph-opt <level>', 'graph optimization level').choices(Object.keys(LEVELS)))
    .option('--no-profile', 'skip the profiled pass (no per-operation table)')
    .option(
      '--profile-iterations <n>',
      'runs in the profiled pass (default 10)',
      positiveInt('--profile-iterations'),
    )
    .option('--seed <n>', 'seed of the synthetic inputs', nonNegativeInt('--seed'))
    .option('--timeout-ms <ms>', 'fail a task that runs longer than this', positiveInt('--timeout-ms'))
    .option(
      '--recipe <file>',
      'also measure a compressed variant built by this recipe (YAML/JSON, repeatable)',
      collectString,
    )
    .option(
      '--runtime <version>',
      'ONNX Runtime version to run on, e.g. 1.22 (repeatable; default: the agent default)',
      collectString,
    );
}

/** Uploads input files first (they travel as artifacts like models), then builds the wire scenario. */
export async function buildScenario(client: GrpcClient, options: ScenarioOptions): Promise<Scenario> {
  const inputFiles: InputFile[] = [];
  for (const file of options.input ?? []) {
    const uploaded = await uploadFile(client, file.path, ArtifactKind.ARTIFACT_KIND_TENSOR);
    inputFiles.push({
      input: file.input,
      artifactSha256: uploaded.sha256,
      format: file.path.endsWith('.npy') ? 'npy' : 'pb',
    });
  }
  return {
    warmupIterations: options.warmup ?? 0,
    iterations: options.iterations ?? 0,
    minDurationMs: options.minDurationMs ?? 0,
    intraOpThreads: options.threads ?? 0,
    interOpThreads: options.interThreads ?? 0,
    graphOptimizationLevel: options.graphOpt
      ? LEVELS[options.graphOpt]
      : GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_UNSPECIFIED,
    skipProfile: !options.profile,
    profileIterations: options.profileIterations ?? 0,
    seed: options.seed ?? 0,
    shapes: options.shape ?? [],
    inputFiles,
    timeoutMs: options.timeoutMs ?? 0,
  };
}
