import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Recipe } from '#contracts';
import { CliError } from './cli-error.js';

/** Recipes travel as text: the coordinator parses, validates and hashes them, so every client agrees. */
export async function readRecipes(paths: string[]): Promise<Recipe[]> {
  const recipes: Recipe[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new CliError(
        `cannot read recipe '${path}': ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      );
    });
    recipes.push({ name: basename(path, extname(path)), text });
  }
  return recipes;
}
