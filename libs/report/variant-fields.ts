import type { Measurement, Task, Variant } from '#contracts';
import type { ResultEntry } from './result-json.js';

/** Compression report and fidelity of a result, when it measured a compressed variant or another runtime. */
export function variantFields(
  task: Task | undefined,
  variants: Variant[],
  m: Measurement,
): Pick<ResultEntry, 'compression' | 'compressionTensors' | 'fidelity'> {
  const variant =
    task && task.variant !== 'original'
      ? variants.find((v) => v.variantSha256 === task.variantSha256)
      : undefined;
  const totals = variant?.totals;
  const f = m.fidelity;
  return {
    ...(variant && totals
      ? {
          compression: {
            sizeBytes: Number(totals.sizeBytes),
            gzipSizeBytes: Number(totals.gzipSizeBytes),
            ratio: totals.ratio,
            gzipRatio: totals.gzipRatio,
            originalSizeBytes: Number(totals.originalSizeBytes),
            recipe: variant.name,
            recipeSha256: variant.recipeHash,
          },
          compressionTensors: variant.tensors.map((t) => ({
            name: t.name,
            shape: t.shape.map(Number),
            method: t.method,
            bits: t.bits > 0 ? t.bits : null,
            bytesBefore: Number(t.bytesBefore),
            bytesAfter: Number(t.bytesAfter),
            sqnrDb: t.skipped ? null : t.sqnrDb,
            ...(t.skipped ? { skipped: t.skipped } : {}),
          })),
        }
      : {}),
    ...(f
      ? {
          fidelity: {
            cosine: f.cosine,
            snrDb: f.snrDb,
            maxAbsError: f.maxAbsError,
            ...(f.top1Agreement !== undefined ? { top1Agreement: f.top1Agreement } : {}),
            ...(f.top5Agreement !== undefined ? { top5Agreement: f.top5Agreement } : {}),
            reference: f.reference,
          },
        }
      : {}),
  };
}
