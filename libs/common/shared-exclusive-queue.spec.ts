import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedExclusiveQueue } from './shared-exclusive-queue.js';

/** A job that logs its start and end, and ends when `release` is called (or fails, if told so). */
function gated(log: string[], name: string, fail = false): { job: () => Promise<string>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    job: async () => {
      log.push(`${name}+`);
      await gate;
      log.push(`${name}-`);
      if (fail) {
        throw new Error(`${name} failed`);
      }
      return name;
    },
    release: () => release(),
  };
}

const turns = () => new Promise((resolve) => setImmediate(resolve));

await test('shared jobs run side by side; an exclusive one waits for them, and later ones wait for it', async () => {
  const queue = new SharedExclusiveQueue();
  const log: string[] = [];
  const [a, b, x, c] = [gated(log, 'a'), gated(log, 'b'), gated(log, 'x'), gated(log, 'c')];
  const done = [queue.shared(a.job), queue.shared(b.job), queue.exclusive(x.job), queue.shared(c.job)];
  await turns();
  assert.deepEqual(log, ['a+', 'b+'], 'both shared jobs started; the exclusive one waits');
  b.release();
  await turns();
  assert.deepEqual(log, ['a+', 'b+', 'b-'], 'one shared job still runs: the exclusive one still waits');
  a.release();
  await turns();
  assert.deepEqual(log.slice(3), ['a-', 'x+'], 'alone now');
  x.release();
  await turns();
  assert.deepEqual(log.slice(5), ['x-', 'c+'], 'the shared job asked after it starts after it');
  c.release();
  assert.deepEqual(await Promise.all(done), ['a', 'b', 'x', 'c']);
});

await test('a failed job does not stop the queue; its caller gets the error', async () => {
  const queue = new SharedExclusiveQueue();
  const log: string[] = [];
  const bad = gated(log, 'bad', true);
  const failed = queue.shared(bad.job);
  const after = queue.exclusive(() => Promise.resolve('after'));
  bad.release();
  await assert.rejects(failed, /bad failed/);
  assert.equal(await after, 'after');
  const badExclusive = gated(log, 'bad2', true);
  const failedExclusive = queue.exclusive(badExclusive.job);
  const next = queue.shared(() => Promise.resolve('next'));
  badExclusive.release();
  await assert.rejects(failedExclusive, /bad2 failed/);
  assert.equal(await next, 'next');
});
