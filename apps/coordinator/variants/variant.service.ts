import { Worker } from 'node:worker_threads';
import { Injectable, Logger } from '@nestjs/common';
import type { CompressionTotals, Recipe, TensorCompression, Variant } from '#contracts';
import { DomainError, DomainErrorCode, SerialQueue } from '#common';
import { type CompressionReport, canonicalJson, parseRecipe, recipeHash } from '#compression';
import { modelFacts } from '#onnx';
import { SNR_CAP_DB } from '#bench';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import { toContractFacts } from '../artifacts/model-facts.mapper.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { VariantRepository } from '../store/variant.repository.js';
import type { VariantBuildReply, VariantBuildRequest } from './variant-build.types.js';

export interface CheckedRecipe {
  name: string;
  text: string;
  hash: string;
  json: string;
}

/**
 * Builds each (source model, recipe) variant once, in a worker thread, and caches it as an artifact.
 * Builds run one at a time: two of them would only compete for the same cores.
 */
@Injectable()
export class VariantService {
  private readonly logger = new Logger(VariantService.name);
  private readonly builds = new SerialQueue();

  constructor(
    private readonly store: ArtifactStore,
    private readonly artifacts: ArtifactRepository,
    private readonly variants: VariantRepository,
  ) {}

  /** Parses and validates a recipe now, so a bad one fails SubmitRun naming the bad key. */
  check(recipe: Recipe): CheckedRecipe {
    const name = recipe.name || 'recipe';
    const parsed = parseRecipe(recipe.text, name);
    return { name, text: recipe.text, hash: recipeHash(parsed), json: canonicalJson(parsed) };
  }

  async ensure(sourceSha256: string, recipe: CheckedRecipe): Promise<Variant> {
    const cached = await this.variants.find(sourceSha256, recipe.hash);
    if (cached) {
      return cached;
    }
    return this.builds.run(async () => {
      const again = await this.variants.find(sourceSha256, recipe.hash);
      if (again) {
        return again;
      }
      const started = Date.now();
      const reply = await runWorker({
        modelPath: await this.store.localPath(sourceSha256),
        recipeName: recipe.name,
        recipeText: recipe.text,
      });
      if (!reply.ok) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          `recipe '${recipe.name}' could not compress model ${sourceSha256.slice(0, 12)}: ${reply.message}`,
        );
      }
      const sha256 = await this.store.put(reply.bytes);
      await this.artifacts.insertIfAbsent({
        sha256,
        name: `${recipe.name}.onnx`,
        kind: 'model',
        sizeBytes: reply.bytes.length,
        facts: toContractFacts(modelFacts(reply.bytes)),
        createdAt: Date.now(),
      });
      const variant: Variant = {
        name: recipe.name,
        sourceSha256,
        recipeHash: recipe.hash,
        variantSha256: sha256,
        ...toContractReport(reply.report),
      };
      await this.variants.insertIfAbsent(variant, recipe.json, Date.now());
      this.logger.log(
        `variant '${recipe.name}' of ${sourceSha256.slice(0, 12)} built in ${Date.now() - started} ms (size ratio ${variant.totals?.ratio.toFixed(3)})`,
      );
      return (await this.variants.find(sourceSha256, recipe.hash)) ?? variant;
    });
  }
}

function runWorker(request: VariantBuildRequest): Promise<VariantBuildReply> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./variant-build.worker.js', import.meta.url), { workerData: request });
    let settled = false;
    const settle = (reply: VariantBuildReply): void => {
      if (!settled) {
        settled = true;
        resolve(reply);
        void worker.terminate();
      }
    };
    worker.once('message', (reply: VariantBuildReply) => settle(reply));
    worker.once('error', (error) => settle({ ok: false, message: error.message }));
    worker.once('exit', (code) =>
      settle({ ok: false, message: `compression worker exited with code ${code}` }),
    );
  });
}

function toContractReport(report: CompressionReport): {
  totals: CompressionTotals;
  tensors: TensorCompression[];
} {
  const t = report.totals;
  return {
    totals: {
      sizeBytes: String(t.sizeBytes),
      gzipSizeBytes: String(t.gzipSizeBytes),
      originalSizeBytes: String(t.originalSizeBytes),
      originalGzipSizeBytes: String(t.originalGzipSizeBytes),
      ratio: t.ratio,
      gzipRatio: t.gzipRatio,
    },
    tensors: report.tensors.map((x) => ({
      name: x.name,
      shape: x.shape.map(String),
      method: x.method,
      bits: x.bits ?? 0,
      bytesBefore: String(x.bytesBefore),
      bytesAfter: String(x.bytesAfter),
      // null = lossless (or skipped); the wire has no null or infinity, so lossless is the SNR cap.
      sqnrDb: x.sqnrDb === null || !Number.isFinite(x.sqnrDb) ? (x.skipped ? 0 : SNR_CAP_DB) : x.sqnrDb,
      sparsity: x.sparsity ?? 0,
      skipped: x.skipped ?? '',
    })),
  };
}
