import assert from 'node:assert/strict';
import { CredentialRepository } from '../../apps/coordinator/store/credential.repository.js';
import type { ApiTokenTable } from '../../apps/coordinator/store/database.types.js';
import { forEachDialect } from '../support/store-dialects.js';
import { sha } from './store-fixtures.js';

const token = (id: string, createdAt: number): ApiTokenTable => ({
  id,
  name: `token ${id}`,
  scopes: 'read,submit',
  secret_sha256: sha(id),
  created_at: createdAt,
  revoked_at: null,
});

await forEachDialect(
  'API tokens: listed by creation, revoked once, bootstrap secret replaced',
  async (db) => {
    const credentials = new CredentialRepository(db);
    await credentials.insertToken(token('tok_a', 20));
    await credentials.insertToken(token('tok_B', 20));
    await credentials.insertToken(token('tok_z', 10));
    await assert.rejects(credentials.insertToken(token('tok_a', 30)), 'ids are unique');
    assert.deepEqual(
      (await credentials.listTokens()).map((t) => t.id),
      ['tok_z', 'tok_B', 'tok_a'], // equal times: byte order of the id ('B' before 'a')
    );
    assert.deepEqual(await credentials.findToken('tok_B'), token('tok_B', 20));

    const revoked = await credentials.revokeToken('tok_a', 99);
    assert.deepEqual(revoked, { ...token('tok_a', 20), revoked_at: 99 });
    assert.equal((await credentials.revokeToken('tok_a', 200))?.revoked_at, 99, 'the first revocation stays');
    assert.equal(await credentials.revokeToken('tok_missing', 1), undefined);

    await credentials.upsertTokenSecret({ ...token('admin', 5), name: 'bootstrap' });
    await credentials.upsertTokenSecret({ ...token('admin', 50), name: 'other', secret_sha256: sha('new') });
    assert.deepEqual(await credentials.findToken('admin'), {
      ...token('admin', 5),
      name: 'bootstrap',
      secret_sha256: sha('new'),
    });
  },
);

await forEachDialect('agent credentials: one per agent, revoked, then issued again', async (db) => {
  const credentials = new CredentialRepository(db);
  assert.equal(await credentials.findAgentCredential('agent-1'), undefined);
  await credentials.putAgentCredential({
    agent_id: 'agent-1',
    secret_sha256: sha('1'),
    created_at: 10,
    revoked_at: null,
  });
  assert.equal(await credentials.revokeAgentCredential('agent-1', 20), true);
  assert.equal(await credentials.revokeAgentCredential('agent-1', 30), false);
  assert.equal(await credentials.revokeAgentCredential('agent-none', 30), false);
  assert.deepEqual(await credentials.findAgentCredential('agent-1'), {
    agent_id: 'agent-1',
    secret_sha256: sha('1'),
    created_at: 10,
    revoked_at: 20,
  });
  await credentials.putAgentCredential({
    agent_id: 'agent-1',
    secret_sha256: sha('2'),
    created_at: 40,
    revoked_at: 41,
  });
  assert.deepEqual(await credentials.findAgentCredential('agent-1'), {
    agent_id: 'agent-1',
    secret_sha256: sha('2'),
    created_at: 40,
    revoked_at: null,
  });
});
