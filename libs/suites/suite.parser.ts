import { isScalar, isSeq, type ParsedNode } from 'yaml';
import { normalizeRecipe, RecipeError } from '#compression';
import { parseLabel } from '#common';
import {
  DEFAULT_GATE,
  DEFAULT_POLICIES,
  DEFAULT_SUITE_SCENARIO,
  type FidelityPolicy,
  type GateSettings,
  GRAPH_OPTIMIZATIONS,
  type IncreasePolicy,
  type MetricPolicies,
  type StatisticalPolicy,
  SUITE_SCHEMA_LIMITS,
  type SuiteInputFile,
  type SuiteInputs,
  type SuiteModel,
  type SuiteRecipe,
  type SuiteScenario,
  type SourcePosition,
  type SuiteShape,
  type SuiteSpec,
  type SuiteTarget,
} from './suite.types.js';
import { SuiteError } from './suite.exception.js';
import { describe, join, type MapEntry, YamlReader, type YamlNode } from './yaml-reader.util.js';

export const SUITE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Model and recipe names end up in JUnit class names and Markdown tables: keep them plain. */
export const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
// eslint-disable-next-line no-control-regex
const INPUT_NAME = /^[^\s\u0000-\u001f]{1,256}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;
const EP_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const RUNTIME = /^\d+\.\d+(\.\d+)?$/;
const AGENT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** The variant name of every unchanged model. */
export const ORIGINAL_VARIANT = 'original';

const TOP_KEYS = ['suite', 'models', 'inputs', 'recipes', 'target', 'scenario', 'gate', 'policies'] as const;
const STAT_KEYS = ['gate', 'alpha', 'min_effect', 'noise_multiplier'] as const;
const INCREASE_KEYS = ['gate', 'max_increase'] as const;
const FIDELITY_KEYS = ['gate', 'min_cosine', 'max_cosine_drop'] as const;
// Same bounds as the coordinator's scenario validator, so a suite that parses is one it accepts.
const DAY_MS = 24 * 3_600_000;

/**
 * Parses and validates a suite file. `fileName` names the file in errors. Paths stay as written
 * (see suitePaths / resolveSuitePath); recipe files are not read here (see toRecipes).
 */
export function parseSuite(text: string, fileName: string): SuiteSpec {
  const { reader, root } = YamlReader.parse(text, fileName, SUITE_SCHEMA_LIMITS.maxBytes);
  return new SuiteParser(reader).suite(root);
}

class SuiteParser {
  constructor(private readonly r: YamlReader) {}

  suite(root: YamlNode): SuiteSpec {
    const top = this.r.map(root, '', TOP_KEYS);
    if (top.size === 0) {
      this.r.fail(root, 'suite', 'the file is empty; a suite needs at least `suite:` and `models:`');
    }
    const suite = this.r.string(
      this.required(top, 'suite', root, ''),
      'suite',
      SUITE_NAME,
      'a name of lowercase letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)',
    );
    const models = this.models(this.required(top, 'models', root, ''));
    const spec: SuiteSpec = {
      suite,
      fileName: this.r.fileName,
      models,
      inputs: this.inputs(top.get('inputs')?.value),
      recipes: this.recipes(top.get('recipes')?.value),
      target: this.target(top.get('target')?.value),
      scenario: this.scenario(top.get('scenario')?.value),
      gate: this.gate(top.get('gate')?.value),
      policies: this.policies(top.get('policies')?.value),
      locations: this.r.locations,
    };
    return spec;
  }

  private required(entries: Map<string, MapEntry>, name: string, parent: YamlNode, path: string): ParsedNode {
    const value = entries.get(name)?.value;
    const key = join(path, name);
    if (!value || (isScalar(value) && value.value === null && !value.tag)) {
      this.r.fail(value ?? entries.get(name)?.keyNode ?? parent, key, 'is required');
    }
    return value;
  }

  private models(node: ParsedNode): SuiteModel[] {
    const items = this.r.seq(node, 'models');
    if (items.length === 0 || items.length > SUITE_SCHEMA_LIMITS.maxModels) {
      this.r.fail(
        node,
        'models',
        `must list 1 to ${SUITE_SCHEMA_LIMITS.maxModels} models (got ${items.length})`,
      );
    }
    const seen = new Set<string>();
    return items.map((item, i) => {
      const key = `models[${i}]`;
      const m = this.r.map(item, key, ['name', 'path', 'sha256']);
      const name = this.name(this.required(m, 'name', item, key), `${key}.name`);
      if (seen.has(name)) {
        this.r.fail(
          m.get('name')?.value,
          `${key}.name`,
          `model name '${name}' is used twice; names must be unique`,
        );
      }
      seen.add(name);
      const path = m.get('path')?.value;
      const sha = m.get('sha256')?.value;
      if ((path === undefined) === (sha === undefined)) {
        this.r.fail(item, key, 'give exactly one of path or sha256');
      }
      if (path !== undefined) {
        return { name, path: this.path(path, `${key}.path`) };
      }
      const sha256 = this.r.string(sha, `${key}.sha256`, SHA256, 'a sha256 of 64 hex digits');
      return { name, sha256: sha256.toLowerCase() };
    });
  }

  private inputs(node: YamlNode): SuiteInputs {
    const m = this.r.map(node, 'inputs', ['shapes', 'files', 'seed']);
    const shapes: SuiteShape[] = [];
    for (const [input, entry] of this.r.map(m.get('shapes')?.value, 'inputs.shapes')) {
      const key = `inputs.shapes.${input}`;
      this.inputName(input, entry, key);
      shapes.push({ input, dims: this.dims(entry.value, key) });
    }
    const files: SuiteInputFile[] = [];
    for (const [input, entry] of this.r.map(m.get('files')?.value, 'inputs.files')) {
      const key = `inputs.files.${input}`;
      this.inputName(input, entry, key);
      const path = this.path(entry.value, key);
      const format = /\.npy$/i.test(path) ? 'npy' : /\.pb$/i.test(path) ? 'pb' : undefined;
      if (!format) {
        this.r.fail(entry.value, key, `must name a .npy or TensorProto .pb file (got ${describe(path)})`);
      }
      files.push({ input, path, format });
    }
    return { shapes, files, seed: this.r.int(m.get('seed')?.value, 'inputs.seed', 0, 2 ** 32 - 1, 0) };
  }

  private recipes(node: YamlNode): SuiteRecipe[] {
    const items = this.r.seq(node, 'recipes');
    if (items.length > SUITE_SCHEMA_LIMITS.maxRecipes) {
      this.r.fail(
        node,
        'recipes',
        `may list at most ${SUITE_SCHEMA_LIMITS.maxRecipes} recipes (got ${items.length})`,
      );
    }
    const seen = new Set<string>();
    return items.map((item, i) => {
      const key = `recipes[${i}]`;
      const m = this.r.map(item, key, ['name', 'file', 'spec']);
      const name = this.name(this.required(m, 'name', item, key), `${key}.name`);
      if (name === ORIGINAL_VARIANT) {
        this.r.fail(
          m.get('name')?.value,
          `${key}.name`,
          `'${ORIGINAL_VARIANT}' names the unchanged model; pick another name`,
        );
      }
      if (seen.has(name)) {
        this.r.fail(
          m.get('name')?.value,
          `${key}.name`,
          `recipe name '${name}' is used twice; names must be unique`,
        );
      }
      seen.add(name);
      const file = m.get('file')?.value;
      const spec = m.get('spec')?.value;
      if ((file === undefined) === (spec === undefined)) {
        this.r.fail(item, key, 'give exactly one of file or spec');
      }
      if (file !== undefined) {
        return { name, file: this.path(file, `${key}.file`) };
      }
      return { name, ...this.inlineRecipe(spec, `${key}.spec`) };
    });
  }

  private inlineRecipe(node: YamlNode, key: string): Pick<SuiteRecipe, 'spec' | 'specSource'> {
    const source = this.r.plain(node, key);
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      this.r.fail(node, key, `must be a recipe mapping (got ${describe(source)})`);
    }
    try {
      return { spec: normalizeRecipe(source, key), specSource: source as Record<string, unknown> };
    } catch (error) {
      if (error instanceof RecipeError) {
        const at = error.path ? join(key, error.path) : key;
        // Recipe paths are dot-joined keys; the nearest one read here carries the position.
        const position = this.nearestLocation(at) ?? this.r.locations[key];
        throw new SuiteError(this.r.fileName, position?.line ?? 1, position?.column ?? 1, at, error.detail);
      }
      throw error;
    }
  }

  private nearestLocation(path: string): SourcePosition | undefined {
    for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      const found = this.r.locations[p];
      if (found) {
        return found;
      }
    }
    return undefined;
  }

  private target(node: YamlNode): SuiteTarget {
    const m = this.r.map(node, 'target', [
      'labels',
      'execution_providers',
      'agents',
      'runtimes',
      'any_one_agent',
    ]);
    const labels: SuiteTarget['labels'] = [];
    for (const [name, entry] of this.r.map(m.get('labels')?.value, 'target.labels')) {
      const key = `target.labels.${name}`;
      const value = this.r.scalar(entry.value, key);
      if (typeof value !== 'string') {
        this.r.fail(
          entry.value ?? entry.keyNode,
          key,
          `must be a string label value; quote numbers (got ${describe(value)})`,
        );
      }
      try {
        labels.push(parseLabel(`${name}=${value}`));
      } catch {
        this.r.fail(
          entry.value,
          key,
          'bad label: keys take letters, digits, . _ / - (at most 63); values may also hold :',
        );
      }
    }
    return {
      labels,
      executionProviders: this.strings(
        m.get('execution_providers')?.value,
        'target.execution_providers',
        EP_NAME,
        'an execution provider name such as cpu, cuda, webgpu',
      ),
      agents: this.strings(m.get('agents')?.value, 'target.agents', AGENT, 'an agent id or name'),
      runtimes: this.strings(
        m.get('runtimes')?.value,
        'target.runtimes',
        RUNTIME,
        'an ONNX Runtime version such as "1.22" or "1.22.0" (quote it: YAML reads 1.20 as the number 1.2)',
      ),
      anyOneAgent: this.r.bool(m.get('any_one_agent')?.value, 'target.any_one_agent', false),
    };
  }

  private scenario(node: YamlNode): SuiteScenario {
    const m = this.r.map(node, 'scenario', [
      'warmup',
      'iterations',
      'min_duration_ms',
      'intra_op_threads',
      'inter_op_threads',
      'graph_optimization',
      'profile',
      'profile_iterations',
      'timeout_ms',
    ]);
    const d = DEFAULT_SUITE_SCENARIO;
    const v = (name: string): YamlNode => m.get(name)?.value;
    const minDurationMs = this.r.int(
      v('min_duration_ms'),
      'scenario.min_duration_ms',
      0,
      DAY_MS,
      d.minDurationMs,
    );
    const iterations = this.r.int(v('iterations'), 'scenario.iterations', 0, 1_000_000, d.iterations);
    if (iterations === 0 && minDurationMs === 0) {
      this.r.fail(v('iterations'), 'scenario.iterations', 'may be 0 only with min_duration_ms above 0');
    }
    return {
      warmup: this.r.int(v('warmup'), 'scenario.warmup', 1, 100_000, d.warmup),
      iterations,
      minDurationMs,
      intraOpThreads: this.r.int(
        v('intra_op_threads'),
        'scenario.intra_op_threads',
        0,
        1024,
        d.intraOpThreads,
      ),
      interOpThreads: this.r.int(
        v('inter_op_threads'),
        'scenario.inter_op_threads',
        0,
        1024,
        d.interOpThreads,
      ),
      graphOptimization: this.r.oneOf(
        v('graph_optimization'),
        'scenario.graph_optimization',
        GRAPH_OPTIMIZATIONS,
        d.graphOptimization,
      ),
      profile: this.r.bool(v('profile'), 'scenario.profile', d.profile),
      profileIterations: this.r.int(
        v('profile_iterations'),
        'scenario.profile_iterations',
        1,
        10_000,
        d.profileIterations,
      ),
      timeoutMs: this.r.int(v('timeout_ms'), 'scenario.timeout_ms', 1000, DAY_MS, d.timeoutMs),
    };
  }

  private gate(node: YamlNode): GateSettings {
    const m = this.r.map(node, 'gate', ['min_rounds', 'max_rounds', 'round_step']);
    const minRounds = this.r.int(
      m.get('min_rounds')?.value,
      'gate.min_rounds',
      3,
      200,
      DEFAULT_GATE.minRounds,
    );
    const maxRounds = this.r.int(
      m.get('max_rounds')?.value,
      'gate.max_rounds',
      3,
      200,
      Math.max(DEFAULT_GATE.maxRounds, minRounds),
    );
    if (maxRounds < minRounds) {
      this.r.fail(
        m.get('max_rounds')?.value,
        'gate.max_rounds',
        `must be at least min_rounds (${minRounds}) (got ${maxRounds})`,
      );
    }
    return {
      minRounds,
      maxRounds,
      roundStep: this.r.int(m.get('round_step')?.value, 'gate.round_step', 1, 200, DEFAULT_GATE.roundStep),
    };
  }

  private policies(node: YamlNode): MetricPolicies {
    const m = this.r.map(node, 'policies', [
      'latency',
      'load_time',
      'first_run',
      'peak_memory',
      'size',
      'fidelity',
    ]);
    const d = DEFAULT_POLICIES;
    return {
      latency: this.statistical(m.get('latency')?.value, 'policies.latency', d.latency),
      loadTime: this.statistical(m.get('load_time')?.value, 'policies.load_time', d.loadTime),
      firstRun: this.statistical(m.get('first_run')?.value, 'policies.first_run', d.firstRun),
      peakMemory: this.increase(m.get('peak_memory')?.value, 'policies.peak_memory', d.peakMemory),
      size: this.increase(m.get('size')?.value, 'policies.size', d.size),
      fidelity: this.fidelity(m.get('fidelity')?.value, 'policies.fidelity', d.fidelity),
    };
  }

  private statistical(node: YamlNode, key: string, d: StatisticalPolicy): StatisticalPolicy {
    const m = this.r.map(node, key, STAT_KEYS);
    return {
      gate: this.r.bool(m.get('gate')?.value, `${key}.gate`, d.gate),
      alpha: this.exclusiveNumber(m.get('alpha')?.value, `${key}.alpha`, 0, 0.5, d.alpha),
      minEffect: this.r.number(m.get('min_effect')?.value, `${key}.min_effect`, 0, 10, d.minEffect),
      noiseMultiplier: this.r.number(
        m.get('noise_multiplier')?.value,
        `${key}.noise_multiplier`,
        0,
        100,
        d.noiseMultiplier,
      ),
    };
  }

  private increase(node: YamlNode, key: string, d: IncreasePolicy): IncreasePolicy {
    const m = this.r.map(node, key, INCREASE_KEYS);
    return {
      gate: this.r.bool(m.get('gate')?.value, `${key}.gate`, d.gate),
      maxIncrease: this.r.number(m.get('max_increase')?.value, `${key}.max_increase`, 0, 100, d.maxIncrease),
    };
  }

  private fidelity(node: YamlNode, key: string, d: FidelityPolicy): FidelityPolicy {
    const m = this.r.map(node, key, FIDELITY_KEYS);
    return {
      gate: this.r.bool(m.get('gate')?.value, `${key}.gate`, d.gate),
      minCosine: this.r.number(m.get('min_cosine')?.value, `${key}.min_cosine`, -1, 1, d.minCosine),
      maxCosineDrop: this.r.number(
        m.get('max_cosine_drop')?.value,
        `${key}.max_cosine_drop`,
        0,
        2,
        d.maxCosineDrop,
      ),
    };
  }

  private exclusiveNumber(node: YamlNode, key: string, min: number, max: number, fallback: number): number {
    const value = this.r.number(node, key, min, max, fallback);
    if (value <= min || value >= max) {
      this.r.fail(node, key, `must be a number strictly between ${min} and ${max} (got ${value})`);
    }
    return value;
  }

  private name(node: YamlNode, key: string): string {
    return this.r.string(node, key, ENTRY_NAME, 'a name of letters, digits, ".", "_" or "-" (at most 64)');
  }

  private inputName(input: string, entry: MapEntry, key: string): void {
    if (!INPUT_NAME.test(input)) {
      this.r.fail(
        entry.keyNode,
        key,
        'input names must be 1 to 256 characters without spaces or control characters',
      );
    }
  }

  private path(node: YamlNode, key: string): string {
    const value = this.r.scalar(node, key);
    if (
      typeof value !== 'string' ||
      value.trim() === '' ||
      value.length > 4096 ||
      CONTROL.test(value) ||
      /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
    ) {
      this.r.fail(node, key, `must be a relative or absolute file path (got ${describe(value)})`);
    }
    return value;
  }

  /** `1x3x640x640`, `1,3,640,640`, a list of integers, or one integer. */
  private dims(node: YamlNode, key: string): number[] {
    const hint = 'a shape such as 1x3x640x640 or [1, 3, 640, 640] (positive integers)';
    let dims: unknown[];
    if (isSeq(node)) {
      dims = this.r.seq(node, key).map((item, i) => this.r.scalar(item, `${key}[${i}]`));
    } else {
      const value = this.r.scalar(node, key);
      dims =
        typeof value === 'string'
          ? value.split(/[x,]/).map((d) => (/^\s*\d+\s*$/.test(d) ? Number(d) : d))
          : [value];
    }
    if (
      dims.length === 0 ||
      dims.length > 16 ||
      !dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)
    ) {
      this.r.fail(node, key, `must be ${hint} (got ${describe(this.r.plain(node, key))})`);
    }
    return dims as number[];
  }

  private strings(node: YamlNode, key: string, pattern: RegExp, hint: string): string[] {
    const items = this.r.seq(node, key);
    const out = items.map((item, i) => this.r.string(item, `${key}[${i}]`, pattern, hint));
    const duplicate = out.find((s, i) => out.indexOf(s) !== i);
    if (duplicate !== undefined) {
      this.r.fail(
        items[out.lastIndexOf(duplicate)],
        `${key}[${out.lastIndexOf(duplicate)}]`,
        `'${duplicate}' is listed twice`,
      );
    }
    return out;
  }
}
