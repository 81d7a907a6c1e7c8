export { compressModel } from './compress.service.js';
export {
  type CompressionReport,
  type CompressionResult,
  type CompressionTotals,
  type TensorReport,
} from './compression-report.types.js';
export { kmeans1d } from './kmeans-1d.util.js';
export { RecipeError } from './recipe.exception.js';
export { canonicalJson, recipeHash } from './recipe-hash.util.js';
export { DEFAULT_WEIGHT_THRESHOLD, normalizeRecipe, parseRecipe } from './recipe.parser.js';
export {
  type OpCompressionConfig,
  type PalettizeConfig,
  type PruneConfig,
  type QuantizeConfig,
  type Recipe,
} from './recipe.types.js';
export { makeNode, rawTensor } from './graph-builder.util.js';
