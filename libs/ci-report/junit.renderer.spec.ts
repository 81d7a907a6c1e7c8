import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { parse, type TestCase, type TestSuite, type TestSuites } from 'junit2json';
import { validateXML } from 'xmllint-wasm';
import { type Verdict } from '#contracts';
import { renderJunit } from './junit.renderer.js';
import {
  errorVerdict,
  HOSTILE,
  hostileVerdict,
  inconclusiveVerdict,
  passVerdict,
  regressedVerdict,
} from './verdict.fixture.js';

// tsc copies no .xsd into dist/: read the vendored schema from the source tree.
const XSD = readFileSync(new URL('../../../libs/ci-report/schema/junit-10.xsd', import.meta.url), 'utf8');

const FIXTURES: [string, Verdict][] = [
  ['pass', passVerdict()],
  ['regressed', regressedVerdict()],
  ['inconclusive', inconclusiveVerdict()],
  ['error', errorVerdict()],
  ['hostile', hostileVerdict()],
];

async function parsed(
  verdict: Verdict,
): Promise<{ root: TestSuites; suites: TestSuite[]; cases: TestCase[] }> {
  const root = (await parse(renderJunit(verdict))) as TestSuites;
  const suites = root.testsuite ?? [];
  return { root, suites, cases: suites.flatMap((s) => s.testcase ?? []) };
}

await test('every fixture validates against the Jenkins xunit junit-10.xsd', async () => {
  const result = await validateXML({
    xml: FIXTURES.map(([name, v]) => ({ fileName: `${name}.xml`, contents: renderJunit(v) })),
    schema: [{ fileName: 'junit-10.xsd', contents: XSD }],
  });
  assert.deepEqual(
    result.errors.map((e) => e.rawMessage),
    [],
  );
  assert.equal(result.valid, true);
});

await test('the schema check is real: a testcase without a name is rejected', async () => {
  const broken = renderJunit(passVerdict()).replace(/ name="latency on [^"]*"/, '');
  const result = await validateXML({
    xml: { fileName: 'broken.xml', contents: broken },
    schema: [{ fileName: 'junit-10.xsd', contents: XSD }],
  });
  assert.equal(result.valid, false);
  assert.match(result.errors[0]!.message, /name/);
});

await test('a regression fails exactly one testcase with the numbers in message and body', async () => {
  const { root, suites, cases } = await parsed(regressedVerdict());
  assert.deepEqual(
    suites.map((s) => [s.name, s.tests, s.failures, s.errors, s.skipped]),
    [
      ['ocr-det.det.original on agent-1', 1, 0, 0, 0],
      ['ocr-det.det.pal4 on agent-1', 2, 1, 0, 0],
      ['ocr-det.det.pal4 on agent-2', 1, 0, 0, 0],
    ],
  );
  assert.deepEqual([root.tests, root.failures, root.errors], [4, 1, 0]);
  const failed = cases.filter((c) => c.failure);
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.classname, 'ocr-det.det.pal4');
  assert.equal(failed[0]!.name, 'latency on agent-1 (0123456789ab)');
  const failure = failed[0]!.failure![0]!;
  assert.equal(failure.type, 'regression');
  assert.equal(
    failure.message,
    'regressed: latency +12.3 %: 12.3 ms -> 13.8 ms (95 % CI [+8.1 %, +15.0 %], p < 0.001, threshold 2.0 %)',
  );
  for (const line of [
    'base: 12.3 ms',
    'head: 13.8 ms',
    'rounds: 10',
    'p: < 0.001',
    'reason: median slower',
  ]) {
    assert.ok(failure.inner?.includes(line), `failure body has "${line}": ${failure.inner}`);
  }
  // The muted size regression is reported, not failed.
  const muted = cases.find((c) => c.name?.startsWith('size'))!;
  assert.equal(muted.failure, undefined);
  assert.match(muted['system-out']![0]!, /verdict: REGRESSED \(muted series\)/);
  const props = suites[1]!.properties!;
  assert.deepEqual(
    props.find((p) => p.name === 'fingerprint'),
    { name: 'fingerprint', value: '0123456789ab' },
  );
});

await test('advice-only regressions pass; inconclusive gating metrics are skipped', async () => {
  const pass = await parsed(passVerdict());
  assert.deepEqual([pass.root.tests, pass.root.failures, pass.root.errors], [5, 0, 0]);
  assert.equal(pass.cases.filter((c) => c.failure || c.error || c.skipped).length, 0);
  const load = pass.cases.find((c) => c.name?.startsWith('load_time'))!;
  assert.match(load['system-out']![0]!, /advice only: policy gate false/);

  const inconclusive = await parsed(inconclusiveVerdict());
  assert.equal(inconclusive.suites[0]!.skipped, 1);
  const skipped = inconclusive.cases.filter((c) => c.skipped);
  assert.equal(skipped.length, 1);
  assert.match(
    skipped[0]!.skipped![0]!.message!,
    /^inconclusive after 20 rounds: latency \+2\.5 %.*bimodal samples/,
  );
});

await test('verdict errors become error testcases and count as errors', async () => {
  const { root, suites, cases } = await parsed(errorVerdict());
  assert.deepEqual([root.tests, root.failures, root.errors], [2, 0, 2]);
  assert.equal(suites[0]!.name, 'ocr-det.errors');
  assert.equal(cases[0]!.error![0]!.message, 'task t-1 on agent-1 failed: out of memory');
  assert.match(cases[0]!.error![0]!.inner!, /at session\.run/);
  // An ERROR verdict without error lines still shows one, so CI is never silently green.
  const bare = await parsed({ ...errorVerdict(), errors: [] });
  assert.equal(bare.root.errors, 1);
  assert.match(bare.cases[0]!.error![0]!.message!, /^ERROR: 2 tasks failed$/);
});

await test('hostile names are escaped in every attribute and text and survive a round trip', async () => {
  const xml = renderJunit(hostileVerdict());
  assert.ok(!xml.includes('<b>'));
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml), 'no raw control characters');
  const { cases, suites } = await parsed(hostileVerdict());
  const visible = HOSTILE.replace('\u0001', '\\u0001').replace('\u001b', '\\u001b');
  assert.equal(cases[0]!.classname, `s${visible}.m${visible}.original`);
  assert.ok(cases[0]!.name!.includes(visible));
  assert.equal(suites[0]!.properties!.find((p) => p.name === 'baseline')!.value, visible);
  const failed = cases.find((c) => c.failure)!;
  assert.ok(failed.failure![0]!.inner!.includes(`reason: ${visible}`));
});
