import { writeFile } from 'node:fs/promises';
import { lastValueFrom } from 'rxjs';
import { type GrpcClient, MetricVerdict, type Verdict, VerdictOutcome } from '#contracts';
import { exitCodeOf, renderJunit, renderMarkdown, toVerdictJson } from '#ci-report';
import type { ConnectionOptions } from './connection-options.js';
import { readSuite } from './suite-files.js';
import { renderTable } from '../output/table.js';

const word = (v: MetricVerdict): string => MetricVerdict[v].replace('METRIC_VERDICT_', '');
const pct = (x: number): string =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} %` : '-';

function formatValue(value: number, unit: string): string {
  if (unit === 'bytes') {
    return value >= 1024 * 1024
      ? `${(value / 1024 / 1024).toFixed(2)} MiB`
      : `${(value / 1024).toFixed(1)} KiB`;
  }
  return unit === 'ms' ? `${value.toPrecision(4)} ms` : value.toFixed(6);
}

/** The verdict as a CI log shows it: one line, then every comparison. */
export function renderVerdict(v: Verdict): string {
  const rows = v.comparisons.map((c) => [
    `${c.model} [${c.variant}]`,
    c.agentName,
    c.metric,
    formatValue(c.base, c.unit),
    formatValue(c.head, c.unit),
    pct(c.relativeChange),
    Number.isFinite(c.ci95Low) ? `[${pct(c.ci95Low)}, ${pct(c.ci95High)}]` : '-',
    Number.isFinite(c.pValue) ? c.pValue.toPrecision(2) : '-',
    `${word(c.verdict)}${c.gating ? '' : ' (advice)'}${c.muted ? ' (muted)' : ''}`,
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
