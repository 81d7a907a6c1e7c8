import { writeFile } from 'node:fs/promises';
import { lastValueFrom } from 'rxjs';
import { type GrpcClient, RunState } from '#contracts';
import { ProgressPrinter } from '../output/progress-printer.js';
import { type ResultJson, toResultJson } from '#report';
import { renderResultReport } from '../output/result-report.js';
import { EXIT } from './cli-error.js';

/** Follows a run to its end with progress on stderr, then prints the report; returns the exit code. */
export async function followRun(
  client: GrpcClient,
  runId: string,
  options: { json?: string; quiet?: boolean },
): Promise<number> {
  const printer = new ProgressPrinter();
  await new Promise<void>((resolve, reject) => {
    client.coordinator.watchRun({ runId }).subscribe({
      next: (event) => (options.quiet ? undefined : printer.onEvent(event)),
      error: reject,
      complete: resolve,
    });
  });
  printer.done();
  return reportRun(client, runId, options);
}

export async function reportRun(
  client: GrpcClient,
  runId: string,
  options: { json?: string },
): Promise<number> {
  const response = await lastValueFrom(client.coordinator.getRun({ runId }));
  const { agents } = await lastValueFrom(client.coordinator.listAgents({}));
  const json: ResultJson = toResultJson(response, agents);
  process.stdout.write(`${renderResultReport(json)}\n`);
  if (options.json) {
    await writeFile(options.json, `${JSON.stringify(json, null, 2)}\n`);
    process.stderr.write(`result JSON written to ${options.json}\n`);
  }
  const state = response.run?.state;
  if (state === RunState.RUN_STATE_SUCCEEDED) {
    return EXIT.ok;
  }
  process.stderr.write(`run ${runId} ended ${json.run.state}\n`);
  return EXIT.taskFailed;
}
