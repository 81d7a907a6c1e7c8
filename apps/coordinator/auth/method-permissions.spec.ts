import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { METHOD_PERMISSIONS, permissionFor } from './method-permissions.js';

// Deny by default makes a forgotten RPC admin-only; this keeps every RPC of the contract decided on purpose.
const PROTO = new URL('../../../../proto/mlfarm/v1/', import.meta.url);

await test('every RPC of both services has a line in the permission table', () => {
  for (const [file, service] of [
    ['coordinator_service.proto', 'CoordinatorService'],
    ['agent_gateway_service.proto', 'AgentGatewayService'],
  ] as const) {
    const text = readFileSync(new URL(file, PROTO), 'utf8');
    const rpcs = [...text.matchAll(/^\s*rpc (\w+)\(/gm)].map((m) => m[1]!);
    assert.ok(rpcs.length >= 3, `${file} lists its RPCs`);
    for (const rpc of rpcs) {
      assert.ok(`/mlfarm.v1.${service}/${rpc}` in METHOD_PERMISSIONS, `${service}.${rpc} has a permission`);
    }
  }
});

await test('read methods of the verdict API need read; changing state needs submit; unknown ones admin', () => {
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/GetVerdict'), 'read');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/GetSeries'), 'read');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/SubmitGate'), 'submit');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/AcceptBaseline'), 'submit');
  assert.equal(permissionFor('/mlfarm.v1.CoordinatorService/NotARealMethod'), 'admin');
});
