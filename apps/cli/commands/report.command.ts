import { writeFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { lastValueFrom } from 'rxjs';
import { renderRunReport, toResultJson } from '#report';
import { EXIT } from '../support/cli-error.js';
import { type ConnectionOptions, connect } from '../support/connection-options.js';

const DEFAULT_COORDINATOR = process.env.MLFARM_COORDINATOR ?? '127.0.0.1:50051';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the HTML performance report of a run (one self-contained file, opens offline)')
    .argument('<run>', 'run id')
    .option('-c, --coordinator <host:port>', 'coordinator gRPC address', DEFAULT_COORDINATOR)
    .option('-o, --output <file>', 'where to write the report', 'report.html')
    .action(async (runId: string, options: ConnectionOptions & { output: string }) => {
      const client = connect(options);
      try {
        // An unknown run fails here with NOT_FOUND, which main() turns into one `mlfarm:` line and exit 2.
        const run = await lastValueFrom(client.coordinator.getRun({ runId }));
        const { agents } = await lastValueFrom(client.coordinator.listAgents({}));
        await writeFile(options.output, renderRunReport(toResultJson(run, agents)));
        process.stderr.write(`report of run ${runId} written to ${options.output}\n`);
        process.exitCode = EXIT.ok;
      } finally {
        client.close();
      }
    });
}
