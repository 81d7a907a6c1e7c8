import { createHash } from 'node:crypto';
import { type Recipe } from './recipe.types.js';

/**
 * sha256 of the canonical JSON (sorted keys, no whitespace) of the normalized recipe. `name` and
 * `description` are left out on purpose: renaming a recipe must not invalidate cached variants.
 */
export function recipeHash(recipe: Recipe): string {
  const { name: _name, description: _description, ...behaviour } = recipe;
  return createHash('sha256').update(canonicalJson(behaviour)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
