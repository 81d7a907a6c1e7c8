import { DomainError, DomainErrorCode } from '#common';

/**
 * A suite file that cannot be used. `key` is the offending key path (`models[1].path`); `line` and
 * `column` (1-based) point at the value, or at the key's parent when the key is missing.
 */
export class SuiteError extends DomainError {
  constructor(
    readonly fileName: string,
    readonly line: number,
    readonly column: number,
    readonly key: string,
    readonly detail: string,
  ) {
    super(
      DomainErrorCode.INVALID_REQUEST,
      `${fileName}:${line}:${column}: ${key || '<root>'}: ${oneLine(detail)}`,
    );
    this.name = 'SuiteError';
  }
}

/** A bad entry of the coordinator's schedule list (MLFARM_SCHEDULES); `entry` counts from 1. */
export class ScheduleError extends DomainError {
  constructor(
    readonly source: string,
    readonly entry: number,
    readonly text: string,
    readonly detail: string,
  ) {
    super(
      DomainErrorCode.INVALID_REQUEST,
      `${source} entry ${entry} (${JSON.stringify(text)}): ${oneLine(detail)}`,
    );
    this.name = 'ScheduleError';
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
