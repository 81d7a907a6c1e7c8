import assert from 'node:assert/strict';
import { Migrator, NO_MIGRATIONS, sql } from 'kysely';
import { type Db, openDatabase } from '../../apps/coordinator/store/database.js';
import { migrationProvider } from '../../apps/coordinator/store/migrations/index.js';
import { ResultRepository } from '../../apps/coordinator/store/result.repository.js';
import { RunRepository } from '../../apps/coordinator/store/run.repository.js';
import { forEachDialect, freshPostgresDatabase, postgresTest } from '../support/store-dialects.js';
import { sampleResult, seedRun } from './store-fixtures.js';

// Every migration runs up and down on both dialects, and replicas starting together migrate once.

const migrationCount = Object.keys(await migrationProvider.getMigrations()).length;

async function tableNames(db: Db): Promise<string[]> {
  return (await db.introspection.getTables())
    .map((t) => t.name)
    .filter((name) => !name.startsWith('kysely_'))
    .sort();
}

await forEachDialect('migrations go up to the latest, down to nothing and up again', async (db) => {
  const latest = await tableNames(db);
  assert.ok(latest.includes('result_ops') && latest.includes('api_tokens'), latest.join(','));
  await seedRun(db, 'run_1', ['t1']);

  const migrator = new Migrator({ db, provider: migrationProvider });
  const down = await migrator.migrateTo(NO_MIGRATIONS);
  assert.equal(down.error, undefined, String(down.error));
  assert.equal(down.results?.length, migrationCount);
  assert.ok(down.results?.every((r) => r.status === 'Success' && r.direction === 'Down'));
  assert.deepEqual(await tableNames(db), []);

  const up = await migrator.migrateToLatest();
  assert.equal(up.error, undefined, String(up.error));
  assert.equal(up.results?.length, migrationCount);
  assert.deepEqual(await tableNames(db), latest);
  // The schema works again: the generated ids start over.
  await seedRun(db, 'run_2', ['t2']);
  assert.equal((await new RunRepository(db).findTask('t2'))?.seq, 0);
  const again = await migrator.migrateToLatest();
  assert.deepEqual(again.results, [], 'nothing left to run');
});

await forEachDialect('each migration steps down and up again on its own', async (db) => {
  const migrator = new Migrator({ db, provider: migrationProvider });
  for (let i = 0; i < migrationCount; i++) {
    const down = await migrator.migrateDown();
    assert.equal(down.error, undefined, String(down.error));
  }
  for (let i = 0; i < migrationCount; i++) {
    const up = await migrator.migrateUp();
    assert.equal(up.error, undefined, String(up.error));
    const again = await migrator.migrateDown();
    assert.equal(again.error, undefined, String(again.error));
    assert.equal((await migrator.migrateUp()).error, undefined);
  }
});

await forEachDialect(
  'column types keep what SQLite keeps: 8-byte floats, byte-order text, 64-bit ids',
  async (db, dialect) => {
    if (dialect === 'sqlite') {
      const columns = await sql<{ name: string; type: string }>`pragma table_info(result_ops)`.execute(db);
      assert.equal(columns.rows.find((c) => c.name === 'id')?.type, 'INTEGER');
      return;
    }
    const columns = await sql<{
      table_name: string;
      column_name: string;
      data_type: string;
      collation_name: string | null;
    }>`
    select table_name, column_name, data_type, collation_name from information_schema.columns
    where table_schema = current_schema() and table_name not like 'kysely%'`.execute(db);
    const text = columns.rows.filter((c) => c.data_type === 'text');
    assert.ok(text.length > 50, `${text.length} text columns`);
    assert.deepEqual(
      text.filter((c) => c.collation_name !== 'C').map((c) => `${c.table_name}.${c.column_name}`),
      [],
      'every text column sorts by bytes',
    );
    assert.deepEqual(
      columns.rows.filter((c) => c.data_type === 'real').map((c) => `${c.table_name}.${c.column_name}`),
      [],
      'no 4-byte floats',
    );
    for (const table of ['result_ops', 'series_points']) {
      assert.equal(
        columns.rows.find((c) => c.table_name === table && c.column_name === 'id')?.data_type,
        'bigint',
      );
    }
  },
);

await postgresTest(
  'two replicas starting together on a fresh database both migrate it, once',
  async (adminUrl) => {
    const fresh = await freshPostgresDatabase(adminUrl);
    try {
      const replicas = await Promise.all(
        Array.from({ length: 4 }, () => openDatabase(fresh.url, { poolSize: 2 })),
      );
      try {
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
          replicas[0]!,
        );
        assert.equal(applied.rows.length, migrationCount, 'each migration recorded once');
        // All of them see the same schema and each other's writes.
        await seedRun(replicas[1]!, 'run_1', ['t1']);
        assert.equal((await new RunRepository(replicas[3]!).findRunRow('run_1'))?.id, 'run_1');
      } finally {
        await Promise.all(replicas.map((db) => db.destroy()));
      }
      // A replica started later finds nothing to do.
      const late = await openDatabase(fresh.url, { poolSize: 1 });
      await late.destroy();
    } finally {
      await fresh.drop();
    }
  },
);

await postgresTest("results' JSON is compressed with LZ4, and reads back the same", async (adminUrl) => {
  const fresh = await freshPostgresDatabase(adminUrl);
  const db = await openDatabase(fresh.url, { poolSize: 1 });
  try {
    const methods = await sql<{ attname: string; attcompression: string }>`
      select attname, attcompression from pg_attribute
      where attrelid = 'results'::regclass and attname like '%_json'`.execute(db);
    assert.ok(methods.rows.length >= 8, methods.rows.map((r) => r.attname).join(','));
    assert.deepEqual(
      methods.rows.filter((r) => r.attcompression !== 'l').map((r) => r.attname),
      [],
      'every JSON column of results compresses with LZ4',
    );
    await seedRun(db, 'run_1', ['t1']);
    const results = new ResultRepository(db);
    const result = sampleResult('t1', 1, 200);
    await results.store(result, 1);
    const stored = await sql<{ method: string | null }>`
      select pg_column_compression(ops_json) as method from results where task_id = 't1'`.execute(db);
    assert.equal(stored.rows[0]?.method, 'lz4', 'a 200-node result was stored compressed with LZ4');
    const [read] = await results.findForTask('t1');
    assert.equal(read?.measurement?.ops.length, 200);
    assert.deepEqual(read?.measurement?.ops, result.measurement?.ops);
  } finally {
    await db.destroy();
    await fresh.drop();
  }
});
