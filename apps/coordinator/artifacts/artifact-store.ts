import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode, SerialQueue } from '#common';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { DATABASE } from '../store/database.tokens.js';
import { type Db, dialectOf } from '../store/database.js';

/** Artifact bytes travel to and from PostgreSQL in rows of this size. */
const CHUNK_BYTES = 1024 * 1024;

/** Rows of an artifact of `size` bytes (an empty one has none: PendingArtifact's stream reads nothing). */
const chunksOf = (size: number): number => Math.ceil(size / CHUNK_BYTES);

const SHA256 = /^[0-9a-f]{64}$/;

export function assertSha256(sha256: string): void {
  // Also the guard against path traversal: only 64 hex characters ever reach a file name.
  if (!SHA256.test(sha256)) {
    throw new DomainError(
      DomainErrorCode.INVALID_REQUEST,
      `'${sha256.slice(0, 80)}' is not a sha256 (64 hex characters)`,
    );
  }
}

/** A file being written: hashed as it streams, moved into place only when complete and checked. */
export class PendingArtifact {
  private readonly hash = createHash('sha256');
  private readonly out: WriteStream;
  size = 0;

  constructor(readonly tempPath: string) {
    this.out = createWriteStream(tempPath, { flags: 'wx' });
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve) => this.out.once('drain', resolve));
    }
  }

  async finish(): Promise<string> {
    await new Promise<void>((resolve, reject) =>
      this.out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    return this.hash.digest('hex');
  }

  async discard(): Promise<void> {
    this.out.destroy();
    await rm(this.tempPath, { force: true });
  }
}

/**
 * Content-addressed folder: artifacts/sha256/ab/abcdef... Immutable once written. With replicas on
 * PostgreSQL the bytes are also stored in the database (artifact_chunks) when committed, and the folder is
 * each replica's cache: an artifact another replica stored is copied from the database on first use.
 */
@Injectable()
export class ArtifactStore {
  private readonly root: string;
  private readonly shared: boolean;
  private readonly copies = new SerialQueue();

  constructor(
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
    @Inject(DATABASE) private readonly db: Db,
  ) {
    this.root = join(config.dataDir, 'artifacts');
    this.shared = dialectOf(db) === 'postgres';
  }

  async begin(): Promise<PendingArtifact> {
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    return new PendingArtifact(join(this.root, 'tmp', randomUUID()));
  }

  /**
   * Keeps the finished `pending` as artifact `sha256`, or discards it when this replica has it already.
   * With replicas, the database holds every chunk before the file appears here: a replica killed while
   * storing them leaves no file that would later pass for stored (`has`). A file that is here already
   * has its chunks checked, and stored again if some are missing (a replica of an earlier version, which
   * renamed first, killed half-way).
   */
  async commit(pending: PendingArtifact, sha256: string): Promise<void> {
    const path = this.pathOf(sha256);
    if (await this.has(sha256)) {
      await pending.discard();
      if (this.shared && (await this.storedChunks(sha256)) < chunksOf(pending.size)) {
        await this.storeChunks(sha256, path);
      }
      return;
    }
    if (this.shared) {
      await this.storeChunks(sha256, pending.tempPath);
    }
    await mkdir(join(path, '..'), { recursive: true });
    // rename is atomic within one file system: a reader sees the whole file or none.
    await rename(pending.tempPath, path);
  }

  /**
   * The artifact's file on this replica, copied from the database first when another replica stored it.
   * Fails with NOT_FOUND when neither has it.
   */
  async localPath(sha256: string): Promise<string> {
    const path = this.pathOf(sha256);
    if ((await this.has(sha256)) || !this.shared) {
      return path;
    }
    // One copy at a time: two agents fetching the same new model must not both copy it.
    await this.copies.run(async () => {
      if (!(await this.has(sha256))) {
        await this.copyFromDatabase(sha256);
      }
    });
    return path;
  }

  /** Stores bytes made here (a compressed variant); returns their sha256. */
  async put(bytes: Uint8Array): Promise<string> {
    const pending = await this.begin();
    try {
      await pending.write(bytes);
      const sha256 = await pending.finish();
      await this.commit(pending, sha256);
      return sha256;
    } catch (error) {
      await pending.discard();
      throw error;
    }
  }

  pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async read(sha256: string): Promise<Buffer> {
    return readFile(await this.localPath(sha256));
  }

  async open(sha256: string, highWaterMark: number): Promise<ReadStream> {
    return createReadStream(await this.localPath(sha256), { highWaterMark });
  }

  private async storedChunks(sha256: string): Promise<number> {
    const row = await this.db
      .selectFrom('artifact_chunks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Idempotent: a replica storing an artifact again (or after a crash half-way) leaves one whole copy. */
  private async storeChunks(sha256: string, path: string): Promise<void> {
    let idx = 0;
    for await (const chunk of createReadStream(path, {
      highWaterMark: CHUNK_BYTES,
    }) as AsyncIterable<Buffer>) {
      await this.db
        .insertInto('artifact_chunks')
        .values({ sha256, idx, data: chunk })
        .onConflict((oc) => oc.columns(['sha256', 'idx']).doNothing())
        .execute();
      idx += 1;
    }
  }

  private async copyFromDatabase(sha256: string): Promise<void> {
    const pending = await this.begin();
    try {
      let idx = 0;
      for (;;) {
        const row = await this.db
          .selectFrom('artifact_chunks')
          .select('data')
          .where('sha256', '=', sha256)
          .where('idx', '=', idx)
          .executeTakeFirst();
        if (!row) {
          break;
        }
        await pending.write(row.data);
        idx += 1;
      }
      const got = await pending.finish();
      if (idx === 0) {
        throw new DomainError(DomainErrorCode.NOT_FOUND, `artifact ${sha256} is not stored on any replica`);
      }
      if (got !== sha256) {
        throw new Error(`artifact ${sha256} in the database is damaged (its bytes hash to ${got})`);
      }
      const path = this.pathOf(sha256);
      await mkdir(join(path, '..'), { recursive: true });
      await rename(pending.tempPath, path);
    } catch (error) {
      await pending.discard();
      throw error;
    }
  }
}
