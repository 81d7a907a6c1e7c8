import { Inject, Injectable } from '@nestjs/common';
import type { CompressionTotals, TensorCompression, Variant } from '#contracts';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';

export interface VariantReport {
  totals: CompressionTotals | undefined;
  tensors: TensorCompression[];
}

@Injectable()
export class VariantRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  async find(sourceSha256: string, recipeHash: string): Promise<Variant | undefined> {
    const row = await this.db
      .selectFrom('variants')
      .selectAll()
      .where('source_sha256', '=', sourceSha256)
      .where('recipe_hash', '=', recipeHash)
      .executeTakeFirst();
    return row ? toVariant(row) : undefined;
  }

  /** The first build wins: two runs asking for the same variant at once store it once. */
  async insertIfAbsent(variant: Variant, recipeJson: string, now: number): Promise<void> {
    await this.db
      .insertInto('variants')
      .values({
        source_sha256: variant.sourceSha256,
        recipe_hash: variant.recipeHash,
        name: variant.name,
        variant_sha256: variant.variantSha256,
        recipe_json: recipeJson,
        report_json: JSON.stringify({
          totals: variant.totals,
          tensors: variant.tensors,
        } satisfies VariantReport),
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['source_sha256', 'recipe_hash']).doNothing())
      .execute();
  }

  async listForRun(runId: string): Promise<Variant[]> {
    const rows = await this.db
      .selectFrom('variants')
      .innerJoin('tasks', 'tasks.variant_sha256', 'variants.variant_sha256')
      .selectAll('variants')
      .where('tasks.run_id', '=', runId)
      .distinct()
      .orderBy('variants.name')
      .orderBy('variants.source_sha256')
      .orderBy('variants.recipe_hash')
      .execute();
    return rows.map(toVariant);
  }
}

function toVariant(row: {
  name: string;
  source_sha256: string;
  recipe_hash: string;
  variant_sha256: string;
  report_json: string;
}): Variant {
  const report = JSON.parse(row.report_json) as VariantReport;
  return {
    name: row.name,
    sourceSha256: row.source_sha256,
    recipeHash: row.recipe_hash,
    variantSha256: row.variant_sha256,
    totals: report.totals,
    tensors: report.tensors,
  };
}
