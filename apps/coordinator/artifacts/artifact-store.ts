import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '#common';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';

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

/** Content-addressed folder: artifacts/sha256/ab/abcdef... Immutable once written. */
@Injectable()
export class ArtifactStore {
  private readonly root: string;

  constructor(@Inject(COORDINATOR_CONFIG) config: CoordinatorConfig) {
    this.root = join(config.dataDir, 'artifacts');
  }

  async begin(): Promise<PendingArtifact> {
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    return new PendingArtifact(join(this.root, 'tmp', randomUUID()));
  }

  async commit(pending: PendingArtifact, sha256: string): Promise<void> {
    const path = this.pathOf(sha256);
    await mkdir(join(path, '..'), { recursive: true });
    // rename is atomic within one file system: a reader sees the whole file or none.
    await rename(pending.tempPath, path);
  }

  /** Stores bytes made here (a compressed variant); returns their sha256. */
  async put(bytes: Uint8Array): Promise<string> {
    const pending = await this.begin();
    try {
      await pending.write(bytes);
      const sha256 = await pending.finish();
      if (await this.has(sha256)) {
        await pending.discard();
      } else {
        await this.commit(pending, sha256);
      }
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

  read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  open(sha256: string, highWaterMark: number): ReadStream {
    return createReadStream(this.pathOf(sha256), { highWaterMark });
  }
}
