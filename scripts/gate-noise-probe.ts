// Prints the round medians of gates whose head is the base model itself, to see the round-to-round noise
// the A/B gate faces on this machine (the numbers behind its SAME rule). Not a test.
// Usage: node dist/scripts/gate-noise-probe.js [gates]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { detBytes } from '../test/support/head-models.js';
import { gateSuiteYaml, runGate, suiteSource, writeSuite } from '../test/support/suite-fixture.js';
import { TestFarm } from '../test/support/test-farm.js';

const gates = Number(process.argv[2] ?? 3);
const farm = await TestFarm.start([{ name: 'probe-agent', threads: 1 }]);
const dir = await mkdtemp(join(tmpdir(), 'mlfarm-probe-'));
try {
  const file = await writeSuite(
    dir,
    gateSuiteYaml('gate: { min_rounds: 20, max_rounds: 20, round_step: 4 }\n'),
    await detBytes(),
  );
  const { run } = await lastValueFrom(
    farm.client.coordinator.runSuite({ suite: await suiteSource(farm, file), name: '' }),
  );
  await farm.watch(run!.id);
  await lastValueFrom(farm.client.coordinator.acceptBaseline({ runId: run!.id, name: 'main' }));
  for (let g = 0; g < gates; g++) {
    const { verdict } = await runGate(farm, file, 'main');
    const { tasks, results } = await lastValueFrom(farm.client.coordinator.getRun({ runId: verdict.runId }));
    const median = new Map(results.map((r) => [r.taskId, r.measurement?.latency?.median ?? NaN]));
    const side = (s: string): number[] =>
      tasks
        .filter((t) => t.side === s && t.variant === 'original')
        .sort((a, b) => a.round - b.round)
        .map((t) => median.get(t.id)!);
    const latency = verdict.comparisons.find((c) => c.metric === 'latency')!;
    console.log(
      JSON.stringify({
        base: side('base'),
        head: side('head'),
        verdict: latency.verdict,
        ci: [latency.ci95Low, latency.ci95High],
        threshold: latency.threshold,
      }),
    );
  }
} finally {
  await farm.close();
  await rm(dir, { recursive: true, force: true });
}
