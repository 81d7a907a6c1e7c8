import type { CompressionReport } from '#compression';

export interface VariantBuildRequest {
  modelPath: string;
  recipeName: string;
  recipeText: string;
}

export type VariantBuildReply =
  { ok: true; bytes: Uint8Array; report: CompressionReport } | { ok: false; message: string };
