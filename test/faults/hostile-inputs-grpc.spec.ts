import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import Database from 'better-sqlite3';
import { lastValueFrom } from 'rxjs';
import { GRPC_LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from '#contracts';
import { bundledModelPath } from '#common';
import { buildTinyModel, encodeOnnxModel } from '#onnx';
import { startAgent } from '../../apps/agent/agent.bootstrap.js';
import { loadAgentConfig } from '../../apps/agent/config/agent.config.js';
import { pollUntil } from '../support/cli-process.js';
import { FaultFarm } from '../support/fault-farm.js';
import { Prng, mutateBytes } from '../support/fuzz.util.js';
import { EMPTY_TARGET, FAST_SCENARIO } from '../support/test-farm.js';

// Hostile gRPC traffic (issue 6, part 4): raw and mutated protobuf bytes sent to every coordinator method,
// and a hostile coordinator sending mutated messages to a real agent. No process crashes, every call ends
// with a clear status (never INTERNAL or UNKNOWN, never a hang), and nothing stored before changes.

interface Method {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: object) => Buffer;
  responseSerialize: (value: object) => Buffer;
}

const definition = loadSync(PROTO_FILES, { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
const service = (name: string): Record<string, Method> =>
  definition[`mlfarm.v1.${name}`] as unknown as Record<string, Method>;
const identity = (x: Buffer): Buffer => x;
const counts: Record<string, { cases: number; byCode: Record<string, number> }> = {};

const det = new Uint8Array(await readFile(bundledModelPath('det')));
const tiny = encodeOnnxModel(buildTinyModel());

/** Every stored row and every file's hash under the data folder (the SQLite files themselves excepted). */
async function snapshot(
  dataDir: string,
): Promise<{ rows: Record<string, unknown[]>; files: Record<string, string> }> {
  const db = new Database(join(dataDir, 'mlfarm.sqlite'), { readonly: true, fileMustExist: true });
  const rows: Record<string, unknown[]> = {};
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      rows[name] = db
        .prepare(`SELECT * FROM "${name}"`)
        .all()
        .map((r) => JSON.stringify(r))
        .sort();
    }
  } finally {
    db.close();
  }
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (!entry.name.startsWith('mlfarm.sqlite') && (await stat(path)).isFile()) {
        files[relative(dataDir, path)] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
      }
    }
  };
  await walk(dataDir);
  return { rows, files };
}

/** What was there before is still there, byte for byte (new rows and files may have been added). */
function assertUnchanged(
  before: Awaited<ReturnType<typeof snapshot>>,
  after: Awaited<ReturnType<typeof snapshot>>,
): void {
  for (const [table, rows] of Object.entries(before.rows)) {
    const now = new Set(after.rows[table]);
    for (const row of rows) {
      if (table === 'agents') {
        continue; // last_seen_at moves by design
      }
      assert.ok(now.has(row), `row of ${table} changed or vanished: ${String(row).slice(0, 300)}`);
    }
  }
  for (const [file, hash] of Object.entries(before.files)) {
    assert.equal(after.files[file], hash, `stored file ${file} changed`);
  }
}

function call(
  client: grpc.Client,
  method: Method,
  messages: Buffer[],
): Promise<{ code: number; details: string }> {
  const deadline = Date.now() + 20_000;
  return new Promise((resolve) => {
    const done = (error: grpc.ServiceError | null): void =>
      resolve(error ? { code: error.code, details: error.details } : { code: 0, details: '' });
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(
        method.path,
        identity,
        identity,
        messages[0]!,
        new grpc.Metadata(),
        { deadline },
        done,
      );
    } else if (!method.requestStream) {
      const stream = client.makeServerStreamRequest(
        method.path,
        identity,
        identity,
        messages[0]!,
        new grpc.Metadata(),
        {
          deadline,
        },
      );
      stream.on('data', () => {});
      stream.on('error', done);
      stream.on('end', () => done(null));
    } else if (!method.responseStream) {
      const stream = client.makeClientStreamRequest(
        method.path,
        identity,
        identity,
        new grpc.Metadata(),
        { deadline },
        done,
      );
      messages.forEach((m) => stream.write(m));
      stream.end();
    } else {
      const stream = client.makeBidiStreamRequest(method.path, identity, identity, new grpc.Metadata(), {
        deadline,
      });
      stream.on('data', () => {});
      stream.on('error', done);
      stream.on('end', () => done(null));
      messages.forEach((m) => stream.write(m));
      stream.end();
    }
  });
}

await test('raw and mutated bytes to every coordinator method: clear statuses, nothing stored changes', async () => {
  const farm = await FaultFarm.start();
  try {
    const detSha = await farm.upload(det, 'det.onnx');
    await farm.upload(tiny, 'tiny.onnx');
    const dataDir = join(farm.dir, 'coordinator');
    const before = await snapshot(dataDir);

    const coordinator = service('CoordinatorService');
    const gateway = service('AgentGatewayService');
    const seeds: { method: Method; messages: Buffer[] }[] = [
      {
        method: coordinator.SubmitRun!,
        messages: [
          coordinator.SubmitRun!.requestSerialize({
            name: 'fuzz',
            models: [{ sha256: detSha, name: 'det.onnx' }],
            target: EMPTY_TARGET,
            scenario: FAST_SCENARIO,
            recipes: [{ name: 'q', text: 'name: q\nglobal:\n  quantize:\n    dtype: int8\n' }],
          }),
        ],
      },
      { method: coordinator.GetRun!, messages: [coordinator.GetRun!.requestSerialize({ runId: 'run_x' })] },
      { method: coordinator.ListRuns!, messages: [coordinator.ListRuns!.requestSerialize({ limit: 5 })] },
      {
        method: coordinator.CancelRun!,
        messages: [coordinator.CancelRun!.requestSerialize({ runId: 'run_x' })],
      },
      { method: coordinator.ListAgents!, messages: [coordinator.ListAgents!.requestSerialize({})] },
      {
        method: coordinator.WatchRun!,
        messages: [coordinator.WatchRun!.requestSerialize({ runId: 'run_x' })],
      },
      {
        method: coordinator.UploadModel!,
        messages: [
          coordinator.UploadModel!.requestSerialize({
            metadata: { name: 'm.onnx', sizeBytes: String(tiny.length), kind: 1 },
          }),
          coordinator.UploadModel!.requestSerialize({ chunk: Buffer.from(tiny) }),
        ],
      },
      {
        method: gateway.FetchModel!,
        messages: [gateway.FetchModel!.requestSerialize({ sha256: 'ab'.repeat(32) })],
      },
      {
        method: gateway.Connect!,
        messages: [
          gateway.Connect!.requestSerialize({
            hello: {
              agentId: 'fuzz-agent',
              name: 'fuzz',
              executionProviders: [{ name: 'cpu', available: true }],
            },
          }),
          gateway.Connect!.requestSerialize({ result: { taskId: 'task_x', attempt: 1, measurement: {} } }),
        ],
      },
    ];
    const client = new grpc.Client(farm.grpcAddress, grpc.credentials.createInsecure());
    const rng = new Prng(0x6_7270_6300);
    const entry: { cases: number; byCode: Record<string, number> } = { cases: 0, byCode: {} };
    counts['coordinator gRPC'] = entry;
    for (let i = 0; i < 360; i++) {
      const seed = seeds[i % seeds.length]!;
      const messages = seed.messages.map((m) =>
        rng.int(4) === 0
          ? Buffer.from(rng.bytes(rng.int(300)))
          : Buffer.from(mutateBytes(rng, m, tiny).bytes),
      );
      const outcome = await call(client, seed.method, messages);
      entry.cases += 1;
      const name = grpc.status[outcome.code] ?? String(outcome.code);
      entry.byCode[name] = (entry.byCode[name] ?? 0) + 1;
      const unclear: number[] = [grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DEADLINE_EXCEEDED];
      assert.ok(!unclear.includes(outcome.code), `case ${i} ${seed.method.path}: ${name} ${outcome.details}`);
      if (outcome.code !== Number(grpc.status.OK)) {
        assert.ok(outcome.details.length > 0, `case ${i} ${seed.method.path}: ${name} without a message`);
      }
    }
    client.close();
    assert.equal(farm.coordinator.proc.exitCode, null, 'the coordinator is still running');
    const runs = await lastValueFrom(farm.client.coordinator.listRuns({ limit: 10 }));
    assert.ok(runs, 'and still answers');
    assertUnchanged(before, await snapshot(dataDir));
  } finally {
    await farm.close();
  }
});

await test('a hostile coordinator sends mutated messages to a real agent: the agent survives and reconnects', async () => {
  const gateway = service('AgentGatewayService');
  const seeds = [
    gateway.Connect!.responseSerialize({ welcome: { heartbeatIntervalMs: 200, leaseMs: 5000 } }),
    gateway.Connect!.responseSerialize({
      assignment: {
        taskId: 'task_fuzz',
        attempt: 1,
        runId: 'run_fuzz',
        modelSha256: createHash('sha256').update(tiny).digest('hex'),
        modelName: 'tiny',
        ep: 'cpu',
        scenario: { ...FAST_SCENARIO, shapes: [] },
      },
    }),
    gateway.Connect!.responseSerialize({ cancellation: { taskId: 'task_fuzz', reason: 'x' } }),
    gateway.Connect!.responseSerialize({ ack: { taskId: 'task_fuzz', attempt: 1 } }),
  ];
  const rng = new Prng(0xa6e17);
  const entry = (counts['agent link (hostile coordinator)'] = { cases: 0, byCode: {} });
  let healthy = false;
  const server = new grpc.Server();
  const raw = (method: Method): grpc.MethodDefinition<Buffer, Buffer> => ({
    path: method.path,
    requestStream: method.requestStream,
    responseStream: method.responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  });
  server.addService(
    { Connect: raw(gateway.Connect!), FetchModel: raw(gateway.FetchModel!) },
    {
      Connect: (stream: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        stream.on('data', () => {});
        stream.on('error', () => {});
        if (healthy) {
          stream.write(seeds[0]!); // a real welcome: the agent must come back to a working link
          return;
        }
        entry.cases += 1;
        for (let k = 1 + rng.int(3); k > 0; k--) {
          const seed = rng.pick(seeds);
          stream.write(
            rng.int(5) === 0
              ? Buffer.from(rng.bytes(rng.int(200)))
              : Buffer.from(mutateBytes(rng, seed, tiny).bytes),
          );
        }
        const end = rng.int(3);
        setTimeout(() => {
          if (end === 0) {
            stream.end();
          } else {
            stream.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fuzz' });
            stream.end();
          }
        }, rng.int(30));
      },
      FetchModel: (stream: grpc.ServerWritableStream<Buffer, Buffer>) => {
        stream.write(Buffer.from(rng.bytes(rng.int(100))));
        stream.end();
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const stateDir = await mkdtemp(join(tmpdir(), 'mlfarm-fuzz-agent-'));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const agent = await startAgent(
    loadAgentConfig(
      {},
      {
        coordinatorAddress: `127.0.0.1:${port}`,
        name: 'fuzzed',
        stateDir,
        executionProviders: ['cpu'],
        reconnectMinMs: 5,
        reconnectMaxMs: 20,
      },
    ),
    { logger: false },
  );
  try {
    await pollUntil(
      '300 hostile connections served',
      () =>
        Promise.resolve({
          value: entry.cases >= 300 ? true : undefined,
          state: `${entry.cases} so far`,
        }),
      120_000,
    );
    healthy = true;
    await pollUntil('the agent to connect to a well-behaved coordinator again', () =>
      Promise.resolve({
        value: agent.isConnected() ? true : undefined,
        state: `connected ${agent.isConnected()}`,
      }),
    );
    assert.deepEqual(unhandled, [], 'no unhandled rejections in the agent');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await agent.close();
    server.forceShutdown();
    await rm(stateDir, { recursive: true, force: true });
  }
});

await test('fuzz cases tried per input kind (gRPC)', (t) => {
  const rows = Object.entries(counts).map(
    ([kind, c]) => `${kind}: ${c.cases} cases ${JSON.stringify(c.byCode)}`,
  );
  for (const row of rows) {
    t.diagnostic(row);
  }
  assert.ok(Object.values(counts).every((c) => c.cases > 0));
});
