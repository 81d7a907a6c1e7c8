import { dirname, isAbsolute, resolve } from 'node:path';
import { GraphOptimizationLevel, type ModelRef, type Recipe, type Scenario, type Target } from '#contracts';
import { parseRecipe, RecipeError } from '#compression';
import { SuiteError } from './suite.exception.js';
import { type GraphOptimization, type SuiteSpec } from './suite.types.js';

const LEVELS: Record<GraphOptimization, GraphOptimizationLevel> = {
  default: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_UNSPECIFIED,
  disabled: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_DISABLED,
  basic: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_BASIC,
  extended: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_EXTENDED,
  all: GraphOptimizationLevel.GRAPH_OPTIMIZATION_LEVEL_ALL,
};

/** An error about a key of an already parsed suite, at the line where that key was written. */
export function suiteErrorAt(spec: SuiteSpec, key: string, detail: string): SuiteError {
  let at = spec.locations[key];
  for (let k = key; !at && k; k = parentKey(k)) {
    at = spec.locations[k];
  }
  return new SuiteError(spec.fileName, at?.line ?? 1, at?.column ?? 1, key, detail);
}

/**
 * Every file the suite references (models, input files, recipe files), as written and each once: a client
 * uploads these and sends `uploaded: {path -> sha256}`; recipe files travel as text instead (toRecipes).
 */
export function suitePaths(spec: SuiteSpec): string[] {
  const paths = [
    ...spec.models.flatMap((m) => (m.path === undefined ? [] : [m.path])),
    ...spec.inputs.files.map((f) => f.path),
    ...spec.recipes.flatMap((r) => (r.file === undefined ? [] : [r.file])),
  ];
  return [...new Set(paths)];
}

/** The paths a client must upload as artifacts (models and input tensors, not recipes). */
export function suiteArtifactPaths(spec: SuiteSpec): string[] {
  const paths = [
    ...spec.models.flatMap((m) => (m.path === undefined ? [] : [m.path])),
    ...spec.inputs.files.map((f) => f.path),
  ];
  return [...new Set(paths)];
}

/** A path as written in the suite -> a path on this machine: relative paths start at the suite file's folder. */
export function resolveSuitePath(suiteFile: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(suiteFile), path);
}

/** The suite's models as the contract names them; paths are looked up in `uploaded` (path as written -> sha256). */
export function toModelRefs(spec: SuiteSpec, uploaded: Record<string, string>): ModelRef[] {
  return spec.models.map((m, i) => ({
    name: m.name,
    sha256: m.sha256 ?? lookUp(spec, uploaded, m.path ?? '', `models[${i}].path`),
  }));
}

export function toScenario(spec: SuiteSpec, uploaded: Record<string, string>): Scenario {
  const s = spec.scenario;
  return {
    warmupIterations: s.warmup,
    iterations: s.iterations,
    minDurationMs: s.minDurationMs,
    intraOpThreads: s.intraOpThreads,
    interOpThreads: s.interOpThreads,
    graphOptimizationLevel: LEVELS[s.graphOptimization],
    skipProfile: !s.profile,
    profileIterations: s.profileIterations,
    seed: spec.inputs.seed,
    shapes: spec.inputs.shapes.map((shape) => ({ input: shape.input, dims: shape.dims.map(String) })),
    inputFiles: spec.inputs.files.map((f) => ({
      input: f.input,
      artifactSha256: lookUp(spec, uploaded, f.path, `inputs.files.${f.input}`),
      format: f.format,
    })),
    timeoutMs: s.timeoutMs,
  };
}

export function toTarget(spec: SuiteSpec): Target {
  const t = spec.target;
  return {
    labels: t.labels.map((l) => ({ key: l.key, value: l.value })),
    executionProviders: [...t.executionProviders],
    agents: [...t.agents],
    anyOneAgent: t.anyOneAgent,
    runtimes: [...t.runtimes],
  };
}

/**
 * The suite's recipes as the contract carries them. File recipes are read with `readText` (given the path as
 * written; resolve it with resolveSuitePath) and validated here so a bad file is reported against the suite
 * line that names it; inline recipes travel as JSON text in the recipe file form.
 */
export function toRecipes(spec: SuiteSpec, readText: (path: string) => string): Recipe[] {
  return spec.recipes.map((r, i) => {
    if (r.file === undefined) {
      return { name: r.name, text: JSON.stringify(r.specSource ?? {}, null, 2) };
    }
    const key = `recipes[${i}].file`;
    let text: string;
    try {
      text = readText(r.file);
    } catch (cause) {
      throw suiteErrorAt(
        spec,
        key,
        `cannot read ${r.file} (${cause instanceof Error ? cause.message : String(cause)})`,
      );
    }
    try {
      parseRecipe(text, r.file);
    } catch (error) {
      if (error instanceof RecipeError) {
        throw suiteErrorAt(spec, key, `${r.file}: ${error.path || '<root>'}: ${error.detail}`);
      }
      throw error;
    }
    return { name: r.name, text };
  });
}

function lookUp(spec: SuiteSpec, uploaded: Record<string, string>, path: string, key: string): string {
  const sha = Object.hasOwn(uploaded, path) ? uploaded[path] : undefined;
  if (sha === undefined) {
    throw suiteErrorAt(
      spec,
      key,
      `${path} was not uploaded with the suite (the client sends every path it names)`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(sha)) {
    throw suiteErrorAt(spec, key, `the upload for ${path} names no sha256 (got ${JSON.stringify(sha)})`);
  }
  return sha;
}

function parentKey(key: string): string {
  const cut = Math.max(key.lastIndexOf('.'), key.lastIndexOf('['));
  return cut < 0 ? '' : key.slice(0, cut);
}
