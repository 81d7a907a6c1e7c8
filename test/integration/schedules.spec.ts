import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { lastValueFrom } from 'rxjs';
import { RunKind, RunState } from '#contracts';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { detBytes } from '../support/head-models.js';
import { gateSuiteYaml, writeSuite } from '../support/suite-fixture.js';
import { TestFarm, waitFor } from '../support/test-farm.js';

// A cron schedule in the coordinator's configuration runs its suite with no client involved: the
// coordinator reads the suite file, stores its model itself and starts a nightly run.
const dir = await mkdtemp(join(tmpdir(), 'mlfarm-schedule-'));
const file = await writeSuite(dir, gateSuiteYaml(), await detBytes());

await test('bad schedules are configuration errors naming the entry', () => {
  assert.throws(
    () => loadCoordinatorConfig({ MLFARM_SCHEDULES: '0 25 * * * suite.yaml' }),
    /MLFARM_SCHEDULES/,
  );
  assert.throws(
    () => loadCoordinatorConfig({ MLFARM_SCHEDULES: `0 3 * * * ${join(dir, 'missing.suite.yaml')}` }),
    /suite file .*missing\.suite\.yaml does not exist/,
  );
});

await test(
  'an every-minute schedule starts a nightly run of its suite within a minute',
  { timeout: 150_000 },
  async () => {
    const farm = await TestFarm.start(
      [{ name: 'cron-agent', threads: 1 }],
      {},
      { MLFARM_SCHEDULES: `* * * * * ${file}` },
    );
    try {
      let runId = '';
      await waitFor(
        async () => {
          const { runs } = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 10 }));
          runId = runs.find((r) => r.kind === RunKind.RUN_KIND_NIGHTLY && r.suite === 'det-gate')?.id ?? '';
          return runId !== '';
        },
        75_000,
        'a scheduled nightly run',
      );
      const events = await farm.watch(runId);
      assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
      const { series } = await lastValueFrom(
        farm.client.coordinator.getSeries({
          suite: 'det-gate',
          model: 'det',
          variant: '',
          metric: 'latency',
          fingerprint: '',
        }),
      );
      assert.ok((series[0]?.points.length ?? 0) >= 1, 'the scheduled run extended the latency series');
    } finally {
      await farm.close();
    }
  },
);

await rm(dir, { recursive: true, force: true });
