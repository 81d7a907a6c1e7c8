import { writeFile } from 'node:fs/promises';
import { lastValueFrom } from 'rxjs';
import { type GrpcClient, type Verdict, VerdictOutcome } from '#contracts';
import {
  exitCodeOf,
  formatCi,
  formatP,
  formatPercent,
  formatValue,
  metricVerdictWord,
  renderJunit,
  renderMarkdown,
  toVerdictJson,
} from '#ci-report';
import type { ConnectionOptions } from './connection-options.js';
import { readSuite } from './suite-files.js';
import { renderTable } from '../output/table.js';

/** The verdict as a CI log shows it: one line, then every comparison. */
export function renderVerdict(v: Verdict): string {
  const rows = v.comparisons.map((c) => [
    `${c.model} [${c.variant}]`,
    c.agentName,
    c.metric,
    formatValue(c.base, c.unit),
    formatValue(c.head, c.unit),
    formatPercent(c.relativeChange),
    formatCi(c.ci95Low, c.ci95High),
    formatP(c.pValue),
    `${metricVerdictWord(c.verdict)}${c.gating ? '' : ' (advice)'}${c.muted ? ' (muted)' : ''}`,
  ]);
  const table = renderTable(
    ['model', 'agent', 'metric', 'base', 'head', 'change', '95 % CI', 'p', 'verdict'],
    rows,
  );
  const errors = v.errors.map((e) => `error: ${e}`).join('\n');
  return [v.summary, table, errors].filter(Boolean).join('\n');
}

export interface GateCliOptions extends ConnectionOptions {
  baseline: string;
  maxRounds?: number;
  name?: string;
  junit?: string;
  markdown?: string;
  json?: string;
  quiet: boolean;
}

/**
 * Runs a gate to its verdict: uploads the suite's files, submits, prints each verdict event (a batch of
 * rounds decided or more rounds queued) on stderr, then writes the requested reports. Returns the exit
 * code: 0 pass, 1 regression, 2 error, 3 inconclusive.
 */
export async function runGate(client: GrpcClient, file: string, options: GateCliOptions): Promise<number> {
  const { source } = await readSuite(client, file);
  const { run } = await lastValueFrom(
    client.coordinator.submitGate({
      suite: source,
      baseline: options.baseline,
      maxRounds: options.maxRounds ?? 0,
      name: options.name ?? '',
    }),
  );
  process.stderr.write(`gate ${run!.id}: ${run!.tasksTotal} task(s) queued\n`);
  await new Promise<void>((resolve, reject) => {
    client.coordinator.watchRun({ runId: run!.id }).subscribe({
      next: (event) => {
        if (event.verdict && !options.quiet) {
          process.stderr.write(`${event.verdict.summary}\n`);
        }
      },
      error: reject,
      complete: resolve,
    });
  });
  const { verdict } = await lastValueFrom(client.coordinator.getVerdict({ runId: run!.id }));
  const v = verdict!;
  process.stdout.write(`${renderVerdict(v)}\n`);
  if (options.junit) {
    await writeFile(options.junit, renderJunit(v));
  }
  if (options.markdown) {
    await writeFile(options.markdown, renderMarkdown(v));
  }
  if (options.json) {
    await writeFile(options.json, `${JSON.stringify(toVerdictJson(v), null, 2)}\n`);
  }
  if (v.outcome === VerdictOutcome.VERDICT_OUTCOME_PENDING) {
    process.stderr.write(`gate ${v.runId} ended without a verdict\n`);
  }
  return exitCodeOf(v.outcome);
}
