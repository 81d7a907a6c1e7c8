import { readFile } from 'node:fs/promises';
import type { SuiteSource } from '#contracts';
import { suiteArtifactPaths, resolveSuitePath, suitePaths } from './suite-contract.util.js';
import { parseSuite } from './suite.parser.js';
import type { SuiteSpec } from './suite.types.js';

export type ArtifactUse = 'model' | 'tensor';

/**
 * Reads a suite file and everything it names, as a client (the CLI) or the coordinator's scheduler
 * does before asking for a suite run or a gate: the suite is validated here first (errors name file,
 * line and key), models and input tensors go through `upload` (-> sha256), recipe files travel as text.
 */
export async function loadSuiteSource(
  suiteFile: string,
  upload: (absolutePath: string, use: ArtifactUse) => Promise<string>,
): Promise<{ spec: SuiteSpec; source: SuiteSource }> {
  const yaml = await readFile(suiteFile, 'utf8');
  const spec = parseSuite(yaml, suiteFile);
  const models = new Set(spec.models.flatMap((m) => (m.path === undefined ? [] : [m.path])));
  const uploaded: Record<string, string> = {};
  for (const path of suiteArtifactPaths(spec)) {
    uploaded[path] = await upload(resolveSuitePath(suiteFile, path), models.has(path) ? 'model' : 'tensor');
  }
  const artifacts = new Set(suiteArtifactPaths(spec));
  const files: Record<string, string> = {};
  for (const path of suitePaths(spec).filter((p) => !artifacts.has(p))) {
    files[path] = await readFile(resolveSuitePath(suiteFile, path), 'utf8');
  }
  return { spec, source: { yaml, fileName: suiteFile, uploaded, files } };
}
