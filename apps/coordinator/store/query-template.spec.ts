import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from './database.js';
import { queryTemplate } from './query-template.js';

await test('a template is compiled once; each call fills in its values and keeps its constants', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlfarm-template-'));
  const db = await openDatabase(join(dir, 'farm.sqlite'));
  try {
    const byName = queryTemplate(db, 2, (name: string, limit: number) =>
      db
        .selectFrom('agents')
        .select('id')
        .where('name', '=', name)
        .where('id', 'in', ['a', 'b'])
        .limit(limit),
    );
    const first = byName('x', 5);
    const second = byName('y', 7);
    assert.equal(first.sql, second.sql, 'one SQL text');
    assert.deepEqual(first.parameters, ['x', 'a', 'b', 5]);
    assert.deepEqual(second.parameters, ['y', 'a', 'b', 7]);
    assert.deepEqual((await db.executeQuery(second)).rows, [], 'and it runs');
    assert.throws(
      () =>
        queryTemplate(db, 2, (name: string, _limit: number) =>
          db.selectFrom('agents').select('id').where('name', '=', name),
        ),
      /query template binds 1 of its 2 arguments: select "id" from "agents"/,
      'an argument that never becomes a bound value (it would be silently ignored) is refused',
    );
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
