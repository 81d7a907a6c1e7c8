import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../apps/coordinator/store/database.js';
import { StatementNames } from '../../apps/coordinator/store/prepared-statements.js';
import { freshPostgresDatabase, postgresTest } from '../support/store-dialects.js';

// PostgreSQL runs the coordinator's repeated statements as prepared (named) statements: parsed once per
// connection instead of at every execution (prepared-statements.ts).

await test('a text gets a name on its third use, the same name ever after; refused texts stay unnamed', () => {
  const names = new StatementNames();
  const text = 'SELECT id FROM tasks WHERE id = $1';
  assert.equal(names.nameOf(text), undefined);
  assert.equal(names.nameOf(text), undefined);
  const name = names.nameOf(text);
  assert.match(name ?? '', /^mlfarm_[0-9a-f]{20}$/);
  assert.equal(names.nameOf(text), name);
  assert.notEqual(names.nameOf('SELECT 2'), name);
  names.refuse(text);
  for (let i = 0; i < 5; i++) {
    assert.equal(names.nameOf(text), undefined);
  }
});

await test('texts that vary (an IN list per length) stop getting names at the cap', () => {
  const names = new StatementNames();
  for (let n = 1; n <= 1_000; n++) {
    const text = `SELECT id FROM tasks WHERE id IN (${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')})`;
    for (let use = 0; use < 3; use++) {
      names.nameOf(text);
    }
  }
  assert.equal(names.size, 200);
});

await postgresTest('repeated statements run prepared on the server, with the same results', async () => {
  const fresh = await freshPostgresDatabase();
  // One connection: the prepared statements the query below lists are that session's.
  const db = await openDatabase(fresh.url, { poolSize: 1 });
  try {
    await db.insertInto('agents').values(agentRow('a1')).execute();
    const byId = (id: string) => db.selectFrom('agents').select(['id', 'name']).where('id', '=', id);
    const seen = [];
    for (let i = 0; i < 4; i++) {
      seen.push(await byId('a1').executeTakeFirst());
    }
    assert.deepEqual(seen, Array(4).fill({ id: 'a1', name: 'agent a1' }));
    assert.equal(await byId('nobody').executeTakeFirst(), undefined, 'parameters still bind per call');
    const { rows } = await sql<{ name: string; statement: string }>`
      SELECT name, statement FROM pg_prepared_statements`.execute(db);
    const text = byId('a1').compile().sql;
    assert.ok(
      rows.some((r) => r.name.startsWith('mlfarm_') && r.statement === text),
      `the select is prepared on the server (prepared: ${JSON.stringify(rows.map((r) => r.statement))})`,
    );
  } finally {
    await db.destroy();
    await fresh.drop();
  }
});

await postgresTest(
  'a prepared SELECT * whose table gained a column fails once, then runs unnamed',
  async () => {
    const fresh = await freshPostgresDatabase();
    const db = await openDatabase(fresh.url, { poolSize: 1 });
    try {
      await sql`CREATE TABLE widened (a integer)`.execute(db);
      await sql`INSERT INTO widened VALUES (1)`.execute(db);
      const all = () => sql<Record<string, number | null>>`SELECT * FROM widened`.execute(db);
      for (let i = 0; i < 3; i++) {
        assert.deepEqual((await all()).rows, [{ a: 1 }]);
      }
      // What another replica's migration does to a table this one has a prepared statement on.
      await sql`ALTER TABLE widened ADD COLUMN b integer`.execute(db);
      await assert.rejects(all(), /cached plan must not change result type/);
      assert.deepEqual((await all()).rows, [{ a: 1, b: null }]);
    } finally {
      await db.destroy();
      await fresh.drop();
    }
  },
);

function agentRow(id: string) {
  return {
    id,
    name: `agent ${id}`,
    labels_json: '[]',
    fingerprint_json: '{}',
    eps_json: '[]',
    runtimes_json: '[]',
    first_seen_at: 1,
    last_seen_at: 1,
  };
}
