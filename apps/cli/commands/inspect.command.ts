import { type Command } from 'commander';
import { lastValueFrom } from 'rxjs';
import { RunState, type GrpcClient } from '#contracts';
import { renderTable } from '../output/table.js';
import { type ConnectionOptions, connect } from '../support/connection-options.js';
import { followRun, reportRun } from '../support/run-client.js';
import { positiveInt } from '../support/option-parsers.js';

const COORDINATOR_FLAGS = [
  '-c, --coordinator <host:port>',
  'coordinator gRPC address',
  process.env.MLFARM_COORDINATOR ?? '127.0.0.1:50051',
] as const;

const RUN_STATES: Record<number, string> = {
  [RunState.RUN_STATE_QUEUED]: 'queued',
  [RunState.RUN_STATE_RUNNING]: 'running',
  [RunState.RUN_STATE_SUCCEEDED]: 'succeeded',
  [RunState.RUN_STATE_FAILED]: 'failed',
  [RunState.RUN_STATE_CANCELLED]: 'cancelled',
};

async function withClient(
  options: ConnectionOptions,
  work: (client: GrpcClient) => Promise<number>,
): Promise<void> {
  const client = connect(options);
  try {
    process.exitCode = await work(client);
  } finally {
    client.close();
  }
}

export function registerInspect(program: Command): void {
  program
    .command('watch')
    .description('follow a run until it ends, then print its results')
    .argument('<run>', 'run id')
    .option(...COORDINATOR_FLAGS)
    .option('--json <file>', 'write the result JSON here')
    .action((runId: string, options: ConnectionOptions & { json?: string }) =>
      withClient(options, (client) => followRun(client, runId, { json: options.json })),
    );

  program
    .command('result')
    .description('print the results of a run as they are now')
    .argument('<run>', 'run id')
    .option(...COORDINATOR_FLAGS)
    .option('--json <file>', 'write the result JSON here')
    .action((runId: string, options: ConnectionOptions & { json?: string }) =>
      withClient(options, (client) => reportRun(client, runId, { json: options.json })),
    );

  program
    .command('cancel')
    .description('cancel a run; running tasks are stopped on their agents')
    .argument('<run>', 'run id')
    .option(...COORDINATOR_FLAGS)
    .action((runId: string, options: ConnectionOptions) =>
      withClient(options, async (client) => {
        const { run } = await lastValueFrom(client.coordinator.cancelRun({ runId }));
        process.stdout.write(`${run!.id} ${RUN_STATES[run!.state] ?? 'unknown'}\n`);
        return 0;
      }),
    );

  program
    .command('runs')
    .description('list recent runs')
    .option(...COORDINATOR_FLAGS)
    .option('--limit <n>', 'how many', positiveInt('--limit'), 20)
    .action((options: ConnectionOptions & { limit: number }) =>
      withClient(options, async (client) => {
        const { runs } = await lastValueFrom(client.coordinator.listRuns({ limit: options.limit }));
        process.stdout.write(
          `${renderTable(
            ['run', 'state', 'tasks', 'failed', 'created', 'name'],
            runs.map((r) => [
              r.id,
              RUN_STATES[r.state] ?? 'unknown',
              `${r.tasksDone}/${r.tasksTotal}`,
              String(r.tasksFailed),
              new Date(Number(r.createdAtMs)).toISOString(),
              r.name,
            ]),
          )}\n`,
        );
        return 0;
      }),
    );

  program
    .command('agents')
    .description('list the agents the coordinator knows')
    .option(...COORDINATOR_FLAGS)
    .action((options: ConnectionOptions) =>
      withClient(options, async (client) => {
        const { agents } = await lastValueFrom(client.coordinator.listAgents({}));
        process.stdout.write(
          `${renderTable(
            ['agent', 'name', 'connected', 'labels', 'eps', 'cpu', 'cores', 'threads', 'runtimes'],
            agents.map((a) => [
              a.id,
              a.name,
              a.connected ? 'yes' : 'no',
              a.labels.map((l) => `${l.key}=${l.value}`).join(','),
              a.executionProviders
                .filter((e) => e.available)
                .map((e) => e.name)
                .join(','),
              a.fingerprint?.cpuModel ?? '',
              String(a.fingerprint?.cpuCores ?? ''),
              `${a.fingerprint?.intraOpThreads ?? 0}/${a.fingerprint?.interOpThreads ?? 0}`,
              // Every ONNX Runtime build the agent holds; * marks its default.
              a.runtimes.map((r) => `${r.version}${r.isDefault ? '*' : ''}`).join(',') ||
                (a.fingerprint?.ortVersion ?? ''),
            ]),
          )}\n`,
        );
        return 0;
      }),
    );
}
