import { type Command } from 'commander';
import { lastValueFrom } from 'rxjs';
import { type Label } from '#contracts';
import { type ConnectionOptions, connect } from '../support/connection-options.js';
import { uploadModel } from '../support/grpc-calls.js';
import { collectLabel, collectString } from '../support/option-parsers.js';
import { readRecipes } from '../support/recipe-files.js';
import { followRun } from '../support/run-client.js';
import { type ScenarioOptions, addScenarioOptions, buildScenario } from '../support/scenario-options.js';

interface SubmitOptions extends ScenarioOptions, ConnectionOptions {
  coordinator: string;
  label?: Label[];
  agent?: string[];
  anyAgent: boolean;
  name?: string;
  wait: boolean;
  json?: string;
}

export function registerSubmit(program: Command): void {
  addScenarioOptions(
    program
      .command('submit')
      .description('upload models and submit a run to a coordinator; by default one task per matching agent')
      .argument('<models...>', 'ONNX model files'),
  )
    .option(
      '-c, --coordinator <host:port>',
      'coordinator gRPC address',
      process.env.MLFARM_COORDINATOR ?? '127.0.0.1:50051',
    )
    .option('-l, --label <key=value>', 'only agents with this label (repeatable)', collectLabel)
    .option('--agent <id-or-name>', 'only this agent (repeatable)', collectString)
    .option('--any-agent', 'one task on the first free matching agent instead of one per agent', false)
    .option('--name <name>', 'run name')
    .option('--no-wait', 'print the run id and return at once')
    .option('--json <file>', 'with --wait (the default): write the result JSON here')
    .action(async (models: string[], options: SubmitOptions) => {
      const client = connect(options);
      try {
        const refs = [];
        for (const path of models) {
          const uploaded = await uploadModel(client, path);
          refs.push({ sha256: uploaded.sha256, name: path.split('/').pop() ?? path });
        }
        const { run } = await lastValueFrom(
          client.coordinator.submitRun({
            models: refs,
            target: {
              labels: options.label ?? [],
              executionProviders: options.ep ?? [],
              agents: options.agent ?? [],
              anyOneAgent: options.anyAgent,
              runtimes: options.runtime ?? [],
            },
            recipes: await readRecipes(options.recipe ?? []),
            scenario: await buildScenario(client, options),
            name: options.name ?? '',
          }),
        );
        process.stdout.write(`${run!.id}\n`);
        process.exitCode = options.wait ? await followRun(client, run!.id, { json: options.json }) : 0;
      } finally {
        client.close();
      }
    });
}
