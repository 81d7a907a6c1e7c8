import { type Command, InvalidArgumentError } from 'commander';
import { lastValueFrom } from 'rxjs';
import { type GrpcClient, RegressionAction, RegressionStatus } from '#contracts';
import { type ConnectionOptions, connect } from '../support/connection-options.js';
import { renderTable } from '../output/table.js';
import { readSuite } from '../support/suite-files.js';
import { followRun } from '../support/run-client.js';
import { EXIT } from '../support/cli-error.js';
import { type GateCliOptions, runGate } from '../support/gate-client.js';

const COORDINATOR = [
  '-c, --coordinator <host:port>',
  'coordinator gRPC address',
  process.env.MLFARM_COORDINATOR ?? '127.0.0.1:50051',
] as const;

type CoordinatorOption = ConnectionOptions;

export function positiveRounds(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) {
    throw new InvalidArgumentError('--max-rounds must be an integer from 1 to 1000');
  }
  return n;
}

async function withClient<T>(
  options: ConnectionOptions,
  work: (client: GrpcClient) => Promise<T>,
): Promise<T> {
  const client = connect(options);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

export function registerSuiteCommands(program: Command): void {
  const suite = program
    .command('suite')
    .description('benchmark suites: YAML files of models, inputs, recipes and policies');
  suite
    .command('run')
    .description("run a suite now as the nightly schedule would: its results extend the suite's series")
    .argument('<suite-file>', 'suite YAML file')
    .option(...COORDINATOR)
    .option('--name <name>', 'run name')
    .option('--no-wait', 'print the run id and return at once')
    .option('--json <file>', 'with --wait (the default): write the result JSON here')
    .action(
      async (file: string, options: CoordinatorOption & { name?: string; wait: boolean; json?: string }) => {
        await withClient(options, async (client) => {
          const { source } = await readSuite(client, file);
          const { run } = await lastValueFrom(
            client.coordinator.runSuite({ suite: source, name: options.name ?? '' }),
          );
          process.stdout.write(`${run!.id}\n`);
          process.exitCode = options.wait
            ? await followRun(client, run!.id, { json: options.json })
            : EXIT.ok;
        });
      },
    );

  program
    .command('ci')
    .description(
      "CI gate: the suite's models (head) against a baseline, measured in interleaved rounds on the same machines; exit 0 pass, 1 regression, 2 error, 3 inconclusive",
    )
    .argument('<suite-file>', 'suite YAML file')
    .requiredOption(
      '--baseline <ref>',
      'baseline name (e.g. main, a tag) or "nightly" for the last accepted nightly run',
    )
    .option(...COORDINATOR)
    .option('--max-rounds <n>', "override the suite's gate.max_rounds", positiveRounds)
    .option('--name <name>', 'run name')
    .option('--junit <file>', 'write a JUnit XML report here')
    .option('--markdown <file>', 'write a Markdown summary (PR comment) here')
    .option('--json <file>', 'write the verdict as JSON here')
    .option('-q, --quiet', 'no progress lines on stderr', false)
    .action(async (file: string, options: GateCliOptions) => {
      process.exitCode = await withClient(options, (client) => runGate(client, file, options));
    });

  const baseline = program
    .command('baseline')
    .description('named baselines per suite and machine fingerprint');
  baseline
    .command('accept')
    .description(
      "make a finished suite run (or a gate's head) baseline NAME for every fingerprint it measured",
    )
    .argument('<run-id>')
    .requiredOption('--name <name>', 'baseline name, e.g. main')
    .option(...COORDINATOR)
    .action(async (runId: string, options: CoordinatorOption & { name: string }) => {
      await withClient(options, async (client) => {
        const { entries } = await lastValueFrom(
          client.coordinator.acceptBaseline({ runId, name: options.name }),
        );
        process.stdout.write(
          `${renderTable(
            ['suite', 'baseline', 'fingerprint', 'model', 'sha256'],
            entries.map((e) => [e.suite, e.name, e.fingerprint, e.model, e.modelSha256.slice(0, 12)]),
          )}\n`,
        );
      });
    });
  baseline
    .command('list')
    .description('list baselines')
    .option('--suite <name>', 'only this suite')
    .option(...COORDINATOR)
    .action(async (options: CoordinatorOption & { suite?: string }) => {
      await withClient(options, async (client) => {
        const { entries } = await lastValueFrom(
          client.coordinator.listBaselines({ suite: options.suite ?? '' }),
        );
        process.stdout.write(
          `${renderTable(
            ['suite', 'baseline', 'fingerprint', 'model', 'run', 'accepted'],
            entries.map((e) => [
              e.suite,
              e.name,
              e.fingerprint,
              e.model,
              e.runId,
              new Date(Number(e.acceptedAtMs)).toISOString(),
            ]),
          )}\n`,
        );
      });
    });

  program
    .command('regressions')
    .description('list regressions found by gates and by nightly change points')
    .option('--suite <name>', 'only this suite')
    .option('--all', 'include acknowledged and muted ones', false)
    .option(...COORDINATOR)
    .action(async (options: CoordinatorOption & { suite?: string; all: boolean }) => {
      await withClient(options, async (client) => {
        const { regressions } = await lastValueFrom(
          client.coordinator.listRegressions({
            suite: options.suite ?? '',
            includeClosed: options.all,
            limit: 200,
          }),
        );
        const rows = regressions.map((r) => [
          r.id,
          r.suite,
          `${r.model} [${r.variant}]`,
          r.metric,
          r.fingerprint,
          r.source,
          `${r.relativeChange >= 0 ? '+' : ''}${(r.relativeChange * 100).toFixed(1)} %`,
          RegressionStatus[r.status].replace('REGRESSION_STATUS_', '').toLowerCase(),
          r.runId,
        ]);
        process.stdout.write(
          `${renderTable(['id', 'suite', 'model', 'metric', 'fingerprint', 'source', 'change', 'status', 'run'], rows)}\n`,
        );
      });
    });

  const regression = program.command('regression').description('triage one regression');
  for (const [name, action, what] of [
    ['ack', RegressionAction.REGRESSION_ACTION_ACKNOWLEDGE, 'acknowledge (seen; stays listed with --all)'],
    [
      'mute',
      RegressionAction.REGRESSION_ACTION_MUTE,
      'mute its series: gates report it but never fail on it',
    ],
    ['unmute', RegressionAction.REGRESSION_ACTION_UNMUTE, 'reopen'],
  ] as const) {
    regression
      .command(name)
      .description(what)
      .argument('<regression-id>')
      .option('--note <text>', 'why')
      .option(...COORDINATOR)
      .action(async (id: string, options: CoordinatorOption & { note?: string }) => {
        await withClient(options, async (client) => {
          const { regression: r } = await lastValueFrom(
            client.coordinator.updateRegression({ regressionId: id, action, note: options.note ?? '' }),
          );
          process.stdout.write(
            `${r!.id} ${RegressionStatus[r!.status].replace('REGRESSION_STATUS_', '').toLowerCase()}\n`,
          );
        });
      });
  }
}
