import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Observable } from 'rxjs';
import type { FetchModelResponse } from '#contracts';
import { AGENT_CONFIG, type AgentConfig } from '../config/agent.config.js';

const SHA256 = /^[0-9a-f]{64}$/;

export class CacheIntegrityError extends Error {}

/**
 * Artifacts by sha256 on local disk, bounded in bytes, least recently used evicted first. Every download
 * is hashed while it streams and kept only when it matches the name it was asked for.
 */
@Injectable()
export class ModelCacheService {
  private readonly logger = new Logger(ModelCacheService.name);
  private readonly dir: string;

  constructor(@Inject(AGENT_CONFIG) private readonly config: AgentConfig) {
    this.dir = join(config.stateDir, 'cache');
  }

  async get(sha256: string, fetch: () => Observable<FetchModelResponse>): Promise<string> {
    if (!SHA256.test(sha256)) {
      throw new CacheIntegrityError(`'${sha256.slice(0, 80)}' is not a sha256`);
    }
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, sha256);
    if (await exists(path)) {
      const now = new Date();
      await utimes(path, now, now);
      return path;
    }
    const temp = `${path}.${process.pid}.part`;
    const actual = await download(fetch(), temp).catch(async (error: unknown) => {
      await rm(temp, { force: true });
      throw error;
    });
    if (actual !== sha256) {
      await rm(temp, { force: true });
      throw new CacheIntegrityError(`artifact ${sha256} arrived with sha256 ${actual}; discarded`);
    }
    await rename(temp, path);
    await this.evict(sha256);
    return path;
  }

  private async evict(keep: string): Promise<void> {
    const entries = await Promise.all(
      (await readdir(this.dir))
        .filter((name) => SHA256.test(name))
        .map(async (name) => ({ name, ...(await stat(join(this.dir, name))) })),
    );
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    for (const entry of entries.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      if (total <= this.config.cacheMaxBytes) {
        break;
      }
      if (entry.name !== keep) {
        await rm(join(this.dir, entry.name), { force: true });
        total -= entry.size;
        this.logger.log(`evicted ${entry.name.slice(0, 12)} (${entry.size} bytes) from the model cache`);
      }
    }
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function download(chunks: Observable<FetchModelResponse>, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const out = createWriteStream(path);
    out.on('error', reject);
    chunks.subscribe({
      next: (message) => {
        hash.update(message.chunk);
        out.write(message.chunk);
      },
      error: (error: unknown) => {
        out.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
      complete: () => out.end(() => resolve(hash.digest('hex'))),
    });
  });
}
