import { Cron } from 'croner';
import { ScheduleError } from './suite.exception.js';

export interface SuiteSchedule {
  /** Five fields (minute hour day-of-month month day-of-week) or a nickname such as @daily; read in UTC. */
  cron: string;
  suiteFile: string;
}

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
/** A token made only of cron field characters: a sixth field would read as the start of the path. */
const CRON_FIELD = /^[0-9*?/,LW#-]+$/;
const SUITE_FILE = /\.ya?ml$/i;

/**
 * The coordinator's schedule list: entries `<cron> <suite file>` separated by `;` or newlines (blank entries
 * and lines starting with `#` are skipped). Every bad entry is reported, not only the first.
 */
export function parseSchedules(
  text: string | readonly string[],
  source = 'MLFARM_SCHEDULES',
): SuiteSchedule[] {
  const entries = typeof text === 'string' ? text.split(/[;\n]/) : text;
  const schedules: SuiteSchedule[] = [];
  const errors: ScheduleError[] = [];
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) {
      return;
    }
    try {
      schedules.push(parseEntry(entry, source, i + 1));
    } catch (error) {
      if (!(error instanceof ScheduleError)) {
        throw error;
      }
      errors.push(error);
    }
  });
  if (errors.length === 1) {
    throw errors[0]!;
  }
  if (errors.length > 1) {
    const first = errors[0]!;
    throw new ScheduleError(source, first.entry, first.text, errors.map((e) => e.message).join('; '));
  }
  return schedules;
}

/** The first time after `after` (exclusive) that `cron` fires, in UTC. */
export function nextFire(cron: string, after: Date): Date {
  const next = compile(cron).nextRun(after);
  if (!next) {
    throw new Error(`cron '${cron}' never fires after ${after.toISOString()}`);
  }
  return next;
}

function parseEntry(entry: string, source: string, index: number): SuiteSchedule {
  const fail = (detail: string): ScheduleError => new ScheduleError(source, index, entry, detail);
  const tokens = entry.split(/\s+/);
  const fields = tokens[0]?.startsWith('@') ? 1 : 5;
  if (tokens.length <= fields) {
    throw fail('expected "<cron expression> <suite file>", e.g. "0 3 * * * suites/ocr.suite.yaml"');
  }
  const cron = tokens.slice(0, fields).join(' ');
  // The path is the rest of the entry as written, so it may hold spaces.
  const suiteFile = entry.slice(entry.indexOf(tokens[fields]!, cron.length)).trim();
  if (fields === 1 && !NICKNAMES.includes(cron.toLowerCase())) {
    throw fail(`unknown cron nickname '${cron}'; use one of ${NICKNAMES.join(', ')} or five fields`);
  }
  if (CRON_FIELD.test(tokens[fields]!)) {
    throw fail(
      `'${tokens[fields]}' reads like a sixth cron field; use five fields (minute hour day month weekday)`,
    );
  }
  if (!SUITE_FILE.test(suiteFile)) {
    throw fail(`the suite file must be a .yaml or .yml path (got '${suiteFile}')`);
  }
  let job: Cron;
  try {
    job = compile(cron);
  } catch (error) {
    throw fail(`bad cron expression '${cron}': ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!job.nextRun(new Date())) {
    throw fail(`cron expression '${cron}' never fires`);
  }
  return { cron, suiteFile };
}

function compile(cron: string): Cron {
  const nickname = cron.startsWith('@');
  return new Cron(cron, { paused: true, timezone: 'UTC', ...(nickname ? {} : { mode: '5-part' as const }) });
}
