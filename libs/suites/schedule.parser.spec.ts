import assert from 'node:assert/strict';
import test from 'node:test';
import { ScheduleError } from './suite.exception.js';
import { nextFire, parseSchedules } from './schedule.parser.js';

await test('entries split on ; and newlines, skipping blanks and comments', () => {
  const schedules = parseSchedules(
    '0 3 * * * suites/ocr det.suite.yaml; @daily suites/b.yml\n# nightly on weekdays\n30 1 * * 1-5 /abs/c.yaml\n;',
  );
  assert.deepEqual(schedules, [
    { cron: '0 3 * * *', suiteFile: 'suites/ocr det.suite.yaml' },
    { cron: '@daily', suiteFile: 'suites/b.yml' },
    { cron: '30 1 * * 1-5', suiteFile: '/abs/c.yaml' },
  ]);
  assert.deepEqual(parseSchedules(['0 0 * * 0 a.yaml']), [{ cron: '0 0 * * 0', suiteFile: 'a.yaml' }]);
  assert.deepEqual(parseSchedules(''), []);
});

function rejects(text: string, entry: number, detail: RegExp): void {
  assert.throws(
    () => parseSchedules(text),
    (error: unknown) =>
      error instanceof ScheduleError &&
      error.entry === entry &&
      error.message.startsWith(`MLFARM_SCHEDULES entry ${entry} (`) &&
      detail.test(error.message),
  );
}

await test('bad cron expressions are refused naming the entry', () => {
  rejects('0 3 * * * a.yaml; 61 3 * * * b.yaml', 2, /bad cron expression '61 3 \* \* \*'/);
  rejects('0 25 * * * a.yaml', 1, /bad cron expression/);
  rejects('0 3 * * mon-funday a.yaml', 1, /bad cron expression/);
  rejects('0 0 30 2 * a.yaml', 1, /never fires/);
  rejects('@sometimes a.yaml', 1, /unknown cron nickname/);
  rejects('0 0 3 * * 1 a.yaml', 1, /sixth cron field/);
  rejects('0 3 * * *', 1, /expected "<cron expression> <suite file>"/);
  rejects('0 3 * * * suites/a.json', 1, /\.yaml or \.yml/);
});

await test('every bad entry is listed, not only the first', () => {
  assert.throws(
    () => parseSchedules('61 * * * * a.yaml\n0 3 * * * ok.yaml\n* * * * * * b.yaml'),
    (error: unknown) =>
      error instanceof ScheduleError && /entry 1 .*; .*entry 3 .*sixth cron field/.test(error.message),
  );
});

await test('nextFire reads the expression in UTC and is exclusive of the given instant', () => {
  const after = new Date('2026-03-10T02:59:00Z');
  assert.equal(nextFire('0 3 * * *', after).toISOString(), '2026-03-10T03:00:00.000Z');
  assert.equal(
    nextFire('0 3 * * *', new Date('2026-03-10T03:00:00Z')).toISOString(),
    '2026-03-11T03:00:00.000Z',
  );
  assert.equal(nextFire('@daily', after).toISOString(), '2026-03-11T00:00:00.000Z');
  assert.equal(
    nextFire('30 1 * * 1-5', new Date('2026-03-13T02:00:00Z')).toISOString(),
    '2026-03-16T01:30:00.000Z',
  );
  assert.throws(() => nextFire('bad', after));
});
