import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { lastValueFrom } from 'rxjs';
import { MetricVerdict, RegressionAction, RegressionStatus, VerdictOutcome } from '#contracts';
import { detBytes, slowerModel } from '../support/head-models.js';
import { gateSuiteYaml, runGate, suiteSource, writeSuite } from '../support/suite-fixture.js';
import { TestFarm } from '../support/test-farm.js';

// Nightly series end to end: real suite runs extend the series; after the model gets slower, the
// change-point detector reports it once later nights confirm it, as a regression, a gauge and an annotation.
const farm = await TestFarm.start([{ name: 'nightly-agent', threads: 1 }]);
const dir = await mkdtemp(join(tmpdir(), 'mlfarm-nightly-'));
const api = farm.client.coordinator;
const base = await detBytes();
const slow = slowerModel(base, 12);
// Changes under 50 % are not worth a report here: the test machine is shared and its load drifts by tens
// of percent between nights; the slowed head is about 3x slower.
const yaml = gateSuiteYaml(
  'gate: { min_rounds: 6, max_rounds: 20, round_step: 4 }\npolicies:\n  latency: { min_effect: 0.5 }\n  size: { max_increase: 0.05 }\n',
);

async function nightly(model: Uint8Array): Promise<string> {
  const file = await writeSuite(dir, yaml, model);
  const { run } = await lastValueFrom(api.runSuite({ suite: await suiteSource(farm, file), name: '' }));
  await farm.watch(run!.id);
  return run!.id;
}

try {
  const baseRuns: string[] = [];
  const slowRuns: string[] = [];
  for (let i = 0; i < 10; i++) {
    baseRuns.push(await nightly(base));
  }

  await test('ten steady nights: a series per metric, no regression, the last night accepted as "nightly"', async () => {
    const { series } = await lastValueFrom(
      api.getSeries({ suite: 'det-gate', model: '', variant: '', metric: '', fingerprint: '' }),
    );
    const metrics = series.map((s) => s.metric).sort();
    assert.deepEqual(metrics, ['first_run', 'latency', 'load_time', 'peak_memory', 'size']);
    assert.ok(series.every((s) => s.points.length === 10));
    const { regressions } = await lastValueFrom(
      api.listRegressions({ suite: 'det-gate', includeClosed: true, limit: 50 }),
    );
    assert.deepEqual(regressions, []);
    const { entries } = await lastValueFrom(api.listBaselines({ suite: 'det-gate' }));
    assert.equal(entries.find((e) => e.name === 'nightly')?.runId, baseRuns.at(-1));
  });

  for (let i = 0; i < 6; i++) {
    slowRuns.push(await nightly(slow));
  }

  await test('the model got slower: one nightly latency regression at the first slow night (+-2), confirmed by later ones', async () => {
    const { regressions } = await lastValueFrom(
      api.listRegressions({ suite: 'det-gate', includeClosed: false, limit: 50 }),
    );
    const latency = regressions.filter((r) => r.metric === 'latency');
    const { series } = await lastValueFrom(
      api.getSeries({ suite: 'det-gate', model: '', variant: '', metric: 'latency', fingerprint: '' }),
    );
    const runIndex = (id: string): number => series[0]!.points.findIndex((p) => p.runId === id);
    assert.equal(
      latency.length,
      1,
      JSON.stringify({
        values: series[0]?.points.map((p) => p.value.toFixed(2)),
        found: latency.map((r) => [runIndex(r.runId), r.relativeChange, r.pValue]),
      }),
    );
    const r = latency[0]!;
    assert.equal(r.source, 'nightly');
    // Within two nights of the first slow one, the tolerance the validation script counts a detection with
    // (noise on a shared machine can move the best split by a night or two).
    const nights = [...baseRuns, ...slowRuns];
    const at = nights.indexOf(r.runId);
    assert.ok(
      Math.abs(at - baseRuns.length) <= 2,
      `change at night ${at}, first slow night ${baseRuns.length}`,
    );
    assert.ok(r.relativeChange > 0.3, `magnitude ${r.relativeChange}`);
    assert.ok(r.runsBefore.length > 0 && r.runsBefore.every((id) => nights.indexOf(id) < at));
    assert.ok(r.runsAfter.length > 0 && r.runsAfter.every((id) => nights.indexOf(id) >= at));
    assert.ok(r.runsAfter.filter((id) => slowRuns.includes(id)).length >= r.runsAfter.length - 2);
    // The "nightly" baseline went back to the last night before the change: before the earliest one, when
    // another metric of the slower model (load time, first run) changed too, a night earlier or later.
    const earliest = Math.min(
      ...regressions.filter((g) => g.source === 'nightly').map((g) => nights.indexOf(g.runId)),
    );
    assert.ok(earliest <= at);
    const { entries } = await lastValueFrom(api.listBaselines({ suite: 'det-gate' }));
    assert.equal(entries.find((e) => e.name === 'nightly')!.runId, nights[earliest - 1]);
  });

  await test('the regression is exported as mlfarm_regression and as a Grafana annotation', async () => {
    const metrics = await (await fetch(`http://${farm.coordinator.httpAddress}/metrics`)).text();
    assert.match(
      metrics,
      /mlfarm_regression\{suite="det-gate",model="det",variant="original",metric="latency",fingerprint="[0-9a-f]{12}",source="nightly"\} 1/,
    );
    const annotations = (await (
      await fetch(`http://${farm.coordinator.httpAddress}/api/annotations?suite=det-gate`)
    ).json()) as { title: string; tags: string[] }[];
    assert.ok(
      annotations.some((a) => a.tags.includes('latency') && /det \[original\] latency \+/.test(a.title)),
    );
  });

  await test('a gate against "nightly" sees the slow head as REGRESSED; once muted, it reports but passes', async () => {
    const file = await writeSuite(dir, yaml, slow);
    const regressed = await runGate(farm, file, 'nightly');
    const latency = regressed.verdict.comparisons.find((c) => c.metric === 'latency')!;
    assert.equal(latency.verdict, MetricVerdict.METRIC_VERDICT_REGRESSED, latency.reason);
    assert.equal(latency.noiseSource, 'history', "the threshold used the series' nightly noise");
    const { regressions } = await lastValueFrom(
      api.listRegressions({ suite: 'det-gate', includeClosed: false, limit: 50 }),
    );
    const nightlyOne = regressions.find((r) => r.source === 'nightly' && r.metric === 'latency')!;
    const muted = await lastValueFrom(
      api.updateRegression({
        regressionId: nightlyOne.id,
        action: RegressionAction.REGRESSION_ACTION_MUTE,
        note: 'expected: new head',
      }),
    );
    assert.equal(muted.regression!.status, RegressionStatus.REGRESSION_STATUS_MUTED);
    const again = await runGate(farm, file, 'nightly');
    const mutedLatency = again.verdict.comparisons.find((c) => c.metric === 'latency')!;
    assert.equal(mutedLatency.muted, true);
    assert.notEqual(again.verdict.outcome, VerdictOutcome.VERDICT_OUTCOME_REGRESSED, again.verdict.summary);
    const metrics = await (await fetch(`http://${farm.coordinator.httpAddress}/metrics`)).text();
    assert.doesNotMatch(
      metrics,
      /mlfarm_regression\{[^}]*metric="latency"[^}]*source="nightly"\} 1/,
      `a muted regression is not open: ${metrics
        .split('\n')
        .filter((l) => l.startsWith('mlfarm_regression{'))
        .join(' | ')}`,
    );
  });
} finally {
  await farm.close();
  await rm(dir, { recursive: true, force: true });
}
