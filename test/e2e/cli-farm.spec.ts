import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { bundledModelPath } from '#common';
import { type ResultEntry, type ResultJson } from '#report';
import {
  type CliResult,
  type CliService,
  assertResultContract,
  assertUsageError,
  freePort,
  pollUntil,
  runCli,
  startCliService,
  tableRows,
} from '../support/cli-process.js';

/**
 * A farm on one machine, driven only through the `mlfarm` CLI as separate processes: a coordinator, two
 * agents with different labels and thread counts, submits that fan out or are targeted, bad inputs that
 * must be refused with one line, and coordinator restarts (clean and killed) that must lose nothing.
 */

const DET = bundledModelPath('det');
const DET_NAME = basename(DET);
const SCENARIO = ['--shape', 'x=1x3x96x96', '-n', '5', '--warmup', '1', '--profile-iterations', '3'];
const COORDINATOR_READY = /coordinator: gRPC (\S+), HTTP (\S+), data (.+)\n/;
const AGENT_READY = /agent (\S+) -> (\S+); execution providers: (.*)\n/;

function describeRun(what: string, result: CliResult): string {
  return `${what}: exit ${String(result.code)}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

async function readResultJson(path: string): Promise<ResultJson> {
  return JSON.parse(await readFile(path, 'utf8')) as ResultJson;
}

const byTaskId = (a: ResultEntry, b: ResultEntry): number => a.taskId.localeCompare(b.taskId);

await test('a farm on one machine, driven through the mlfarm CLI', { timeout: 300_000 }, async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'mlfarm-cli-farm-'));
  const services = new Set<CliService>();
  t.after(async () => {
    await Promise.all([...services].map((s) => s.stop('SIGTERM', 5_000)));
    await rm(tmp, { recursive: true, force: true });
  });

  const grpcPort = await freePort();
  const httpPort = await freePort();
  const coordinatorAddress = `127.0.0.1:${grpcPort}`;
  const dataDir = join(tmp, 'coord');
  const modelSize = (await stat(DET)).size;
  const cli = (args: string[]): Promise<CliResult> => runCli(args, { cwd: tmp });

  let coordinator: CliService | undefined;
  const startCoordinator = async (): Promise<CliService> => {
    const service = await startCliService(
      ['coordinator', '--grpc', coordinatorAddress, '--http', `127.0.0.1:${httpPort}`, '--data-dir', dataDir],
      { cwd: tmp, readyPattern: COORDINATOR_READY },
    );
    services.add(service);
    assert.equal(service.ready[1], coordinatorAddress, 'gRPC address printed');
    assert.equal(service.ready[2], `127.0.0.1:${httpPort}`, 'HTTP address printed');
    assert.equal(service.ready[3], dataDir, 'data dir printed');
    return service;
  };

  const agents: { name: string; tier: string; threads: number; id: string }[] = [
    { name: 'a-small', tier: 'small', threads: 1, id: '' },
    { name: 'a-big', tier: 'big', threads: 2, id: '' },
  ];

  /** Polls `mlfarm agents` until both agents are listed as connected; returns the table rows. */
  const bothAgentsConnected = (): Promise<Record<string, string>[]> =>
    pollUntil('both agents connected', async () => {
      const listed = await cli(['agents', '-c', coordinatorAddress]);
      const rows = listed.code === 0 ? tableRows(listed.stdout, 'agent') : [];
      const connected = agents.every((a) =>
        rows.some((r) => r.agent === a.id && r.name === a.name && r.connected === 'yes'),
      );
      return { value: connected ? rows : undefined, state: describeRun('mlfarm agents', listed) };
    });

  /** `mlfarm runs` as a map run id -> state. */
  const listRuns = async (): Promise<Map<string, string>> => {
    const listed = await cli(['runs', '-c', coordinatorAddress, '--limit', '100']);
    assert.equal(listed.code, 0, describeRun('mlfarm runs', listed));
    return new Map(tableRows(listed.stdout, 'run').map((r) => [r.run!, r.state!]));
  };

  /** A submit that must succeed; returns its run id and result JSON. */
  const submit = async (
    jsonName: string,
    extra: string[] = [],
  ): Promise<{ runId: string; json: ResultJson; stdout: string }> => {
    const jsonPath = join(tmp, jsonName);
    const result = await cli([
      'submit',
      DET,
      ...SCENARIO,
      '-c',
      coordinatorAddress,
      '--json',
      jsonPath,
      ...extra,
    ]);
    assert.equal(result.code, 0, describeRun(`mlfarm submit ${extra.join(' ')}`, result));
    const runId = result.stdout.split('\n')[0]!.trim();
    assert.match(runId, /^\S+$/, 'submit prints the run id first');
    const json = await readResultJson(jsonPath);
    assert.equal(json.run.id, runId);
    assert.equal(json.run.state, 'succeeded');
    assert.deepEqual(json.failures, []);
    return { runId, json, stdout: result.stdout };
  };

  const goodRuns: string[] = [];
  let firstRun: { runId: string; json: ResultJson } | undefined;

  await t.test('coordinator and two agents start and the agents connect', async () => {
    coordinator = await startCoordinator();
    const started = await Promise.all(
      agents.map((a) =>
        startCliService(
          [
            'agent',
            '-c',
            coordinatorAddress,
            '--name',
            a.name,
            '--label',
            `tier=${a.tier}`,
            '--threads',
            String(a.threads),
            '--state-dir',
            join(tmp, a.name),
          ],
          { cwd: tmp, readyPattern: AGENT_READY },
        ),
      ),
    );
    started.forEach((service, i) => {
      services.add(service);
      agents[i]!.id = service.ready[1]!;
      assert.equal(service.ready[2], coordinatorAddress, 'the agent dials the given coordinator');
      assert.match(service.ready[3]!, /\bcpu\b/, 'cpu is an available execution provider');
    });
    assert.notEqual(agents[0]!.id, agents[1]!.id, 'agents have distinct ids');
    const rows = await bothAgentsConnected();
    for (const a of agents) {
      const row = rows.find((r) => r.agent === a.id)!;
      assert.equal(row.labels, `tier=${a.tier}`);
      assert.match(row.eps!, /\bcpu\b/);
      assert.equal(row.threads, `${a.threads}/0`);
    }
  });

  await t.test('submit fans out to one task per agent; the result JSON keeps its contract', async () => {
    const { runId, json, stdout } = await submit('out.json');
    goodRuns.push(runId);
    firstRun = { runId, json };
    assert.match(stdout, /median ms/, 'the latency table is printed');
    assert.equal(json.results.length, 2, 'one result per agent');
    assert.equal(new Set(json.results.map((r) => r.taskId)).size, 2, 'two distinct tasks');
    for (const a of agents) {
      const result = json.results.find((r) => r.agent.name === a.name);
      assert.ok(result, `a result from ${a.name}: ${JSON.stringify(json.results.map((r) => r.agent.name))}`);
      assert.equal(result.agent.id, a.id);
      assert.deepEqual(result.agent.labels, { tier: a.tier });
      assert.equal(result.agent.intraOpThreads, a.threads, `${a.name} ran with its default thread count`);
      assertResultContract(result, { model: DET_NAME, sizeBytes: modelSize, samples: 5 });
      assert.deepEqual(result.inputs, [
        { name: 'x', dims: [1, 3, 96, 96], elemType: 'float32', source: 'synthetic' },
      ]);
    }
  });

  await t.test('--label targets only the agents that carry it', async () => {
    const { runId, json } = await submit('small.json', ['--label', 'tier=small']);
    goodRuns.push(runId);
    assert.deepEqual(
      json.results.map((r) => r.agent.name),
      ['a-small'],
    );
    assertResultContract(json.results[0]!, { model: DET_NAME, sizeBytes: modelSize, samples: 5 });
  });

  await t.test('bad input is refused with exit code 2 and one line, and stores nothing', async (tt) => {
    const inputs = join(tmp, 'inputs');
    await mkdir(inputs);
    const notOnnx = join(inputs, 'notes.onnx');
    await writeFile(notOnnx, 'these are notes, not a model\n');
    const truncated = join(inputs, 'det-truncated.onnx');
    const bytes = await readFile(DET);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const missing = join(inputs, 'missing.onnx');
    const base = ['-n', '5', '--warmup', '1', '--profile-iterations', '3', '-c', coordinatorAddress];
    const shape = ['--shape', 'x=1x3x96x96'];

    const cases: { name: string; args: string[]; mentions: RegExp }[] = [
      {
        name: 'a text file named .onnx',
        args: [notOnnx, ...shape],
        mentions: /notes\.onnx.*not an ONNX model/i,
      },
      {
        name: 'a model truncated to 60 %',
        args: [truncated, ...shape],
        mentions: /det-truncated\.onnx.*truncated/i,
      },
      { name: 'a dynamic input without --shape', args: [DET], mentions: /'x'.*dynamic.*--shape/ },
      {
        name: '--ep webgpu, which no agent has',
        args: [DET, ...shape, '--ep', 'webgpu'],
        mentions: /webgpu/i,
      },
      {
        name: '--label gpu=h200, which no agent has',
        args: [DET, ...shape, '--label', 'gpu=h200'],
        mentions: /gpu=h200/,
      },
      { name: 'a missing file', args: [missing, ...shape], mentions: /missing\.onnx.*no such file/i },
    ];
    // Independent refusals: run them side by side, then check each.
    const running = cases.map((c) => cli(['submit', ...c.args, ...base]));
    for (const p of running) {
      void p.catch(() => undefined);
    }
    for (const [i, c] of cases.entries()) {
      await tt.test(c.name, async () => {
        assertUsageError(await running[i]!, c.mentions, `mlfarm submit with ${c.name}`);
      });
    }

    await tt.test('mlfarm runs lists exactly the earlier successful runs', async () => {
      const runs = await listRuns();
      assert.deepEqual([...runs.keys()].sort(), [...goodRuns].sort());
      assert.ok(
        [...runs.values()].every((s) => s === 'succeeded'),
        JSON.stringify([...runs]),
      );
    });

    await tt.test('a good submit still succeeds afterwards', async () => {
      const { runId, json } = await submit('after-bad.json', ['--label', 'tier=big']);
      goodRuns.push(runId);
      assert.deepEqual(
        json.results.map((r) => r.agent.name),
        ['a-big'],
      );
    });
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    await t.test(
      `coordinator stopped with ${signal} and restarted loses nothing; agents come back`,
      async (tt) => {
        assert.ok(coordinator && firstRun, 'the farm is up and a first run exists');
        const runsBefore = new Map(goodRuns.map((id) => [id, 'succeeded']));

        const stopping = Date.now();
        const code = await coordinator.stop(signal);
        tt.diagnostic(
          `coordinator ended by ${signal} in ${Date.now() - stopping} ms (exit code ${String(code)})`,
        );
        services.delete(coordinator);
        if (signal === 'SIGTERM') {
          assert.equal(
            code,
            0,
            `a coordinator stopped by SIGTERM exits 0\nstderr:\n${coordinator.stderrSoFar()}`,
          );
        }
        coordinator = await startCoordinator();

        assert.deepEqual(await listRuns(), runsBefore, 'every run and its state survived the restart');
        const again = join(tmp, `result-after-${signal}.json`);
        const result = await cli(['result', firstRun.runId, '-c', coordinatorAddress, '--json', again]);
        assert.equal(result.code, 0, describeRun('mlfarm result', result));
        const reread = await readResultJson(again);
        assert.equal(reread.run.id, firstRun.runId);
        assert.equal(reread.run.state, 'succeeded');
        const before = [...firstRun.json.results].sort(byTaskId);
        const after = [...reread.results].sort(byTaskId);
        assert.deepEqual(
          after.map((r) => [r.taskId, r.agent.id, r.samplesMs]),
          before.map((r) => [r.taskId, r.agent.id, r.samplesMs]),
          'same tasks, agents and samples',
        );
        assert.deepEqual(
          after.map(({ agent: _agent, ...rest }) => rest),
          before.map(({ agent: _agent, ...rest }) => rest),
          'the stored results are unchanged',
        );

        await bothAgentsConnected();
        const { runId, json } = await submit(`after-${signal}.json`);
        goodRuns.push(runId);
        assert.deepEqual(json.results.map((r) => r.agent.name).sort(), ['a-big', 'a-small']);
      },
    );
  }
});
