import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { lastValueFrom, of } from 'rxjs';
import { ArtifactKind, RunState, type GrpcClient } from '#contracts';
import { bundledModelPath } from '#common';
import { permissionFor } from '../../apps/coordinator/auth/method-permissions.js';
import {
  EMPTY_TARGET,
  FAST_SCENARIO,
  TestFarm,
  collect,
  grpcError,
  uploadBytes,
} from '../support/test-farm.js';
import { filesUnder, rowCounts } from './farm-state.util.js';

const detBytes = await readFile(bundledModelPath('det'));
const detSha256 = createHash('sha256').update(detBytes).digest('hex');

const farm = await TestFarm.start(
  [{ name: 'secure-a', executionProviders: ['cpu'] }],
  {},
  { MLFARM_AUTH: 'token' },
);
const admin = farm.client;
const viewer = await lastValueFrom(admin.coordinator.createToken({ name: 'viewer', scopes: ['read'] }));
const ci = await lastValueFrom(admin.coordinator.createToken({ name: 'ci', scopes: ['submit'] }));
const agentId = farm.agents[0]!.agentId;
const agentStateDir = join(farm.dataDir, 'agent-secure-a');
const agentCredential = readFileSync(join(agentStateDir, 'agent.credential'), 'utf8').trim();

function submitWith(client: GrpcClient) {
  return lastValueFrom(
    client.coordinator.submitRun({
      name: 'refused',
      models: [{ sha256: detSha256, name: 'det.onnx' }],
      target: EMPTY_TARGET,
      scenario: FAST_SCENARIO,
      recipes: [],
    }),
  );
}

function helloAs(client: GrpcClient, id: string) {
  return collect(
    client.gateway.connect(
      of({
        hello: {
          agentId: id,
          name: id,
          labels: [],
          executionProviders: [],
          runningTaskIds: [],
          runtimes: [],
        },
      }),
    ),
  );
}

async function withClient<T>(
  token: string | undefined,
  work: (client: GrpcClient) => Promise<T>,
): Promise<T> {
  const client = farm.connect(token);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

await test('a run submitted without a token, read-only, or with a forged or agent credential is refused and leaves nothing', async () => {
  const cases = [
    { who: 'no token', token: undefined, code: status.UNAUTHENTICATED },
    { who: 'a read-only token', token: viewer.secret, code: status.PERMISSION_DENIED },
    {
      who: 'a forged agent credential',
      token: `mla_${agentId}_${'0'.repeat(64)}`,
      code: status.UNAUTHENTICATED,
    },
    {
      who: 'a forged API token',
      token: `mlf_${ci.token!.id}_${'f'.repeat(64)}`,
      code: status.UNAUTHENTICATED,
    },
    { who: 'garbage', token: 'hunter2', code: status.UNAUTHENTICATED },
    { who: "a real agent's credential", token: agentCredential, code: status.PERMISSION_DENIED },
    { who: 'the enrollment token', token: farm.enrollmentToken(), code: status.PERMISSION_DENIED },
  ];
  for (const c of cases) {
    await withClient(c.token, async (client) => {
      const upload = await grpcError(
        uploadBytes(client, detBytes, 'det.onnx', ArtifactKind.ARTIFACT_KIND_MODEL),
      );
      assert.equal(upload.code, c.code, `UploadModel with ${c.who}: ${upload.details}`);
      const submit = await grpcError(submitWith(client));
      assert.equal(submit.code, c.code, `SubmitRun with ${c.who}: ${submit.details}`);
      const cancel = await grpcError(lastValueFrom(client.coordinator.cancelRun({ runId: 'run_x' })));
      assert.equal(cancel.code, c.code, `CancelRun with ${c.who}`);
    });
  }
  assert.deepEqual(rowCounts(farm.coordinator.config.databaseUrl), { runs: 0, tasks: 0, artifacts: 0 });
  assert.deepEqual(await filesUnder(join(farm.dataDir, 'artifacts')), [], 'no file in the artifact folder');
});

await test('a submit token uploads, submits and watches; a read token may watch and read but not cancel', async () => {
  const runId = await withClient(ci.secret, async (client) => {
    const uploaded = await uploadBytes(client, detBytes, 'det.onnx', ArtifactKind.ARTIFACT_KIND_MODEL);
    assert.equal(uploaded.sha256, detSha256);
    const { run } = await submitWith(client);
    return run!.id;
  });
  await withClient(viewer.secret, async (client) => {
    const events = await collect(client.coordinator.watchRun({ runId }));
    assert.equal(events.at(-1)?.run?.state, RunState.RUN_STATE_SUCCEEDED);
    const { runs } = await lastValueFrom(client.coordinator.listRuns({ limit: 10 }));
    assert.deepEqual(
      runs.map((r) => r.id),
      [runId],
    );
    const cancel = await grpcError(lastValueFrom(client.coordinator.cancelRun({ runId })));
    assert.equal(cancel.code, status.PERMISSION_DENIED);
    assert.match(cancel.details, /submit scope/);
  });
});

await test('only agent credentials Connect, each only as its own agent; API tokens and enrollment cannot', async () => {
  for (const token of [farm.adminToken(), ci.secret, farm.enrollmentToken()]) {
    const refused = await withClient(token, (client) => grpcError(helloAs(client, agentId)));
    assert.equal(refused.code, status.PERMISSION_DENIED, refused.details);
  }
  const other = await withClient(agentCredential, (client) =>
    grpcError(helloAs(client, 'agent_someone_else')),
  );
  assert.equal(other.code, status.PERMISSION_DENIED);
  assert.match(other.details, /cannot say hello as/);
  const fetch = await withClient(ci.secret, (client) =>
    grpcError(collect(client.gateway.fetchModel({ sha256: detSha256 }))),
  );
  assert.equal(fetch.code, status.PERMISSION_DENIED, 'FetchModel is for agents only');
  const reenroll = await withClient(farm.enrollmentToken(), (client) =>
    grpcError(lastValueFrom(client.gateway.enroll({ agentId, name: 'impostor' }))),
  );
  assert.equal(reenroll.code, status.PERMISSION_DENIED, 'an enrolled agent id cannot be taken over');
});

await test('a revoked API token or agent credential is refused with UNAUTHENTICATED', async () => {
  await lastValueFrom(admin.coordinator.revokeToken({ id: viewer.token!.id }));
  const token = await withClient(viewer.secret, (client) =>
    grpcError(lastValueFrom(client.coordinator.listRuns({ limit: 1 }))),
  );
  assert.equal(token.code, status.UNAUTHENTICATED);
  const { tokens } = await lastValueFrom(admin.coordinator.listTokens({}));
  assert.equal(tokens.find((t) => t.id === viewer.token!.id)?.revoked, true);
  assert.ok(!JSON.stringify(tokens).includes(ci.secret.slice(-64)), 'ListTokens never shows a secret');

  const { revoked } = await lastValueFrom(admin.coordinator.revokeAgent({ agentId }));
  assert.equal(revoked, true);
  const agent = await withClient(agentCredential, (client) => grpcError(helloAs(client, agentId)));
  assert.equal(agent.code, status.UNAUTHENTICATED);
});

await test('token scopes are checked when created; unknown methods need admin (deny by default)', async () => {
  const bad = await grpcError(lastValueFrom(admin.coordinator.createToken({ name: 'x', scopes: ['root'] })));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  const notAdmin = await withClient(ci.secret, (client) =>
    grpcError(lastValueFrom(client.coordinator.createToken({ name: 'mine', scopes: ['admin'] }))),
  );
  assert.equal(notAdmin.code, status.PERMISSION_DENIED, 'a submit token cannot mint tokens');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/SomethingNew'), 'admin');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/GetVerdict'), 'read');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/SubmitGate'), 'submit');
});

await test('HTTP: /healthz is open, /metrics and /reports need a read token', async () => {
  const base = `http://${farm.coordinator.httpAddress}`;
  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.equal((await get('/healthz')).status, 200);
  const anonymous = await get('/metrics');
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /Bearer/);
  assert.equal((await get('/metrics', ci.secret)).status, 200);
  assert.equal((await get('/metrics', viewer.secret)).status, 401, 'revoked above');
  assert.equal((await get('/reports/run_nope', `mla_${agentId}_${'1'.repeat(64)}`)).status, 401);
  assert.equal((await get('/reports/run_nope', ci.secret)).status, 404);
});

await test('secret files are private (mode 0600) and hold the tokens, never in plain form in the store', () => {
  const files = [
    farm.coordinator.config.auth.adminTokenFile,
    farm.coordinator.config.auth.enrollmentTokenFile,
    join(agentStateDir, 'agent.credential'),
  ];
  for (const file of files) {
    assert.equal(statSync(file).mode & 0o777, 0o600, file);
  }
  const db = readFileSync(farm.coordinator.config.databaseUrl);
  for (const secret of [farm.adminToken()!, ci.secret, agentCredential]) {
    assert.ok(!db.includes(secret.slice(-64)), 'the store holds hashes only');
  }
});

await farm.close();
