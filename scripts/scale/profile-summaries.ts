import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSummary, readProfile, summarize } from './cpu-profile.js';
import { type ScenarioResult } from './report.js';
import { type SqlStat } from './sql-timer.js';

/** Reads what --cpu-prof and --sql-prof left in each replica's folder, writes a .summary.md beside it, prints the top. */

export async function summarizeSql(
  dirs: string[],
  results: number,
  replicas: number,
): Promise<ScenarioResult['sqlProfile']> {
  const out: NonNullable<ScenarioResult['sqlProfile']> = [];
  // Agents are spread evenly, so each replica handled about its share of the results.
  const tasks = Math.max(1, Math.round(results / replicas));
  for (const [replica, dir] of dirs.entries()) {
    for (const name of (await readdir(dir)).filter((n) => n.startsWith('sql-') && n.endsWith('.json'))) {
      const rows = JSON.parse(await readFile(join(dir, name), 'utf8')) as SqlStat[];
      const total = rows.reduce((a, r) => a + r.ms + r.prepareMs, 0);
      const count = rows.reduce((a, r) => a + r.count, 0);
      const top = rows.slice(0, 15).map((r) => ({ ...r, perTask: r.count / tasks }));
      out.push({ replica, tasks, top });
      const lines = [
        `SQL of replica ${replica}: ${count} statements (${(count / tasks).toFixed(1)} per result received), ` +
          `${(total / 1000).toFixed(1)} s wall in the driver`,
        '| wall ms | % | of which prepare ms | count | per task | µs each | max ms | > 10 ms | statement |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
        ...top.map(
          (r) =>
            `| ${(r.ms + r.prepareMs).toFixed(0)} | ${((100 * (r.ms + r.prepareMs)) / total).toFixed(1)} | ` +
            `${r.prepareMs.toFixed(0)} | ${r.count} | ${r.perTask.toFixed(2)} | ` +
            `${((1000 * (r.ms + r.prepareMs)) / Math.max(1, r.count)).toFixed(0)} | ${(r.maxMs ?? 0).toFixed(1)} | ` +
            `${r.slow ?? 0} | \`${r.sql}\` |`,
        ),
      ];
      await writeFile(join(dir, `${name}.summary.md`), `${lines.join('\n')}\n`);
      process.stderr.write(`\n${lines.join('\n')}\n`);
    }
  }
  return out;
}

export async function summarizeProfiles(dirs: string[]): Promise<ScenarioResult['cpuProfile']> {
  const out: NonNullable<ScenarioResult['cpuProfile']> = [];
  for (const [replica, dir] of dirs.entries()) {
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'))) {
      const file = join(dir, name);
      const summary = summarize(readProfile(file), 20);
      out.push({
        replica,
        file,
        top: summary.functions.map((f) => ({ fn: f.fn, where: f.where, selfPct: f.selfPct })),
      });
      const text = formatSummary(file, 30);
      await writeFile(`${file}.summary.md`, `${text}\n`);
      process.stderr.write(
        `\nCPU profile of replica ${replica}: ${file}.summary.md\n${text.split('\n').slice(0, 24).join('\n')}\n`,
      );
    }
  }
  return out;
}
