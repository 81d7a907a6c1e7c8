import { type OpCompressionConfig, type Recipe } from './recipe.types.js';
import { type WeightRef } from './weight-catalog.util.js';

/**
 * coremltools precedence: op_name_configs (the weight's own name, then a consumer node's name) over
 * op_type_configs (a consumer's op type) over global. An override replaces the whole config (no merge);
 * a null override leaves the weight alone.
 */
export function resolveConfig(
  recipe: Recipe,
  weight: WeightRef,
): { config: OpCompressionConfig | null; via: string } {
  const byName = recipe.opNameConfigs;
  if (Object.hasOwn(byName, weight.name)) {
    return { config: byName[weight.name] ?? null, via: `op_name_configs.${weight.name}` };
  }
  for (const { node } of weight.consumers) {
    if (node.name && Object.hasOwn(byName, node.name)) {
      return { config: byName[node.name] ?? null, via: `op_name_configs.${node.name}` };
    }
  }
  for (const { node } of weight.consumers) {
    const op = node.opType ?? '';
    if (Object.hasOwn(recipe.opTypeConfigs, op)) {
      return { config: recipe.opTypeConfigs[op] ?? null, via: `op_type_configs.${op}` };
    }
  }
  return { config: recipe.global, via: 'global' };
}
