import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { ArtifactStore } from '../../apps/coordinator/artifacts/artifact-store.js';
import { loadCoordinatorConfig } from '../../apps/coordinator/config/coordinator.config.js';
import { type Db, openDatabase } from '../../apps/coordinator/store/database.js';
import { freshPostgresDatabase, postgresTest } from '../support/store-dialects.js';

// With replicas, an artifact's bytes live in the database (1 MiB chunks) and each replica's folder is a
// cache. A replica killed while storing the chunks must not leave a file that passes for stored: the next
// upload of the same bytes to it would skip the chunks, and other replicas could never read the model.

const MIB = 1024 * 1024;
const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Two replicas' artifact stores on one fresh database, each with a cache folder of its own. */
async function withTwoReplicas(body: (a: ArtifactStore, b: ArtifactStore, db: Db) => Promise<void>) {
  const fresh = await freshPostgresDatabase();
  const db = await openDatabase(fresh.url, { poolSize: 2 });
  const dirs = [await mkdtemp(join(tmpdir(), 'mlfarm-a-')), await mkdtemp(join(tmpdir(), 'mlfarm-b-'))];
  try {
    const [a, b] = dirs.map((dataDir) => new ArtifactStore(loadCoordinatorConfig({}, { dataDir }), db));
    await body(a!, b!, db);
  } finally {
    await db.destroy();
    await fresh.drop();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

await postgresTest(
  'an artifact whose chunks failed half-way leaves no file that passes for stored',
  async () =>
    withTwoReplicas(async (a, b, db) => {
      const bytes = randomBytes(2 * MIB + 1000); // three chunks
      const sha256 = sha256Of(bytes);
      // The database refuses the second chunk, as a replica killed after the first would leave it.
      await sql`
      CREATE FUNCTION refuse_second_chunk() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.idx = 1 THEN RAISE EXCEPTION 'second chunk refused'; END IF;
        RETURN NEW;
      END $$`.execute(db);
      await sql`
      CREATE TRIGGER refuse_second_chunk BEFORE INSERT ON artifact_chunks
      FOR EACH ROW EXECUTE FUNCTION refuse_second_chunk()`.execute(db);
      await assert.rejects(a.put(bytes), /second chunk refused/);
      assert.equal(await a.has(sha256), false, 'no file in the cache for an artifact not wholly stored');

      await sql`DROP TRIGGER refuse_second_chunk ON artifact_chunks`.execute(db);
      assert.equal(await a.put(bytes), sha256, 'the same bytes again');
      assert.deepEqual(await b.read(sha256), bytes, 'the other replica copies the whole artifact');
    }),
);

await postgresTest('a cached file whose chunks are missing gets them stored at the next upload', async () =>
  withTwoReplicas(async (a, b, db) => {
    const bytes = randomBytes(2 * MIB + 1000);
    const sha256 = sha256Of(bytes);
    // What a replica that renamed the file first (before this order) left when killed after one chunk.
    await mkdir(dirname(a.pathOf(sha256)), { recursive: true });
    await writeFile(a.pathOf(sha256), bytes);
    await db
      .insertInto('artifact_chunks')
      .values({ sha256, idx: 0, data: bytes.subarray(0, MIB) })
      .execute();

    assert.equal(await a.put(bytes), sha256);
    assert.deepEqual(await b.read(sha256), bytes);
  }),
);
