import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { turnOffPretenuring } from './v8-tuning.js';

const run = promisify(execFile);
const TUNING = new URL('./v8-tuning.js', import.meta.url).href;

/**
 * A child node that allocates from one literal site objects that all outlive young collections (the
 * pattern V8 pretenures), with V8's pretenuring decisions traced; returns how many sites it tenured.
 */
async function tenuredSites(flags: string[], callTuning: boolean): Promise<number> {
  const program = `
    import { turnOffPretenuring } from ${JSON.stringify(TUNING)};
    ${callTuning ? 'turnOffPretenuring();' : ''}
    const make = (i) => ({ a: i, b: [i, i + 1], c: { d: i } });
    const live = [];
    for (let i = 0; i < 3_000_000; i++) {
      live.push(make(i));
      if (live.length > 400_000) live.length = 0;
    }`;
  const { stdout } = await run(
    process.execPath,
    [...flags, '--trace-pretenuring-statistics', '--input-type=module', '-e', program],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout.split('\n').filter((line) => line.includes('=> tenure')).length;
}

await test('without the tuning V8 pretenures the long-lived literal (the control)', async () => {
  assert.ok((await tenuredSites([], false)) > 0);
});

await test('turnOffPretenuring: no allocation site is tenured after it', async () => {
  assert.equal(await tenuredSites([], true), 0);
});

await test("node's own command line wins: --allocation-site-pretenuring keeps V8's default", async () => {
  assert.ok((await tenuredSites(['--allocation-site-pretenuring'], true)) > 0);
  assert.equal(turnOffPretenuring(['--allocation_site_pretenuring']), false);
  assert.equal(turnOffPretenuring(['--no-allocation-site-pretenuring']), false);
});
