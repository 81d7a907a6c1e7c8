import { type DocumentOptions, type ParseOptions, type SchemaOptions, parseDocument } from 'yaml';
import { RecipeError } from './recipe.exception.js';
import {
  ACCURACY_LEVELS,
  LUT_DTYPES,
  type OpCompressionConfig,
  PALETTIZE_GRANULARITIES,
  PALETTIZE_MODES,
  PALETTIZE_NBITS,
  type PalettizeConfig,
  PRUNE_MODES,
  type PruneConfig,
  QUANTIZE_DTYPES,
  QUANTIZE_FORMATS,
  QUANTIZE_GRANULARITIES,
  QUANTIZE_MODES,
  type QuantizeConfig,
  type Recipe,
  SPARSE_STORAGE,
} from './recipe.types.js';

type Obj = Record<string, unknown>;

/** coremltools' default: smaller tensors are not worth a LUT or scales of their own. */
export const DEFAULT_WEIGHT_THRESHOLD = 2048;

/** Parses a JSON or YAML recipe (YAML is a superset of JSON) and validates it; throws RecipeError. */
export function parseRecipe(text: string, source = 'recipe'): Recipe {
  if (text.length > MAX_RECIPE_CHARS) {
    throw new RecipeError(
      '',
      `is ${text.length} characters; a recipe may have at most ${MAX_RECIPE_CHARS}`,
      source,
    );
  }
  let raw: unknown;
  try {
    raw = parseSafely(text);
  } catch (cause) {
    throw new RecipeError(
      '',
      `not valid JSON/YAML (${cause instanceof Error ? cause.message : String(cause)})`,
      source,
    );
  }
  return normalizeRecipe(raw, source);
}

/** Recipes arrive over the wire (SubmitRun): bounded in size and parsed as plain data. */
export const MAX_RECIPE_CHARS = 64 * 1024;

// The YAML 1.2 core schema (plain data: no custom tags, no `<<` merge keys), duplicate keys refused, and
// few aliases: a "billion laughs" document fails instead of expanding. Warnings (an unknown tag such as
// `!!js/function`) are errors too.
const SAFE_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  schema: 'core',
  customTags: [],
  merge: false,
  uniqueKeys: true,
  strict: true,
};
const MAX_ALIAS_COUNT = 50;

function parseSafely(text: string): unknown {
  const doc = parseDocument(text, SAFE_YAML);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    throw problem;
  }
  return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
}

/** Validates an already-parsed recipe object (file form, snake_case keys). */
export function normalizeRecipe(raw: unknown, source = 'recipe'): Recipe {
  const v = new Validator(source);
  const root = v.object(raw, '');
  v.keys(root, '', ['name', 'description', 'seed', 'global', 'op_type_configs', 'op_name_configs']);
  const recipe: Recipe = {
    seed: v.int(root.seed, 'seed', 0, 2 ** 31 - 1, 0),
    global: root.global === null ? null : v.opConfig(root.global ?? {}, 'global'),
    opTypeConfigs: v.configMap(root.op_type_configs, 'op_type_configs'),
    opNameConfigs: v.configMap(root.op_name_configs, 'op_name_configs'),
  };
  if (root.name !== undefined) {
    recipe.name = v.string(root.name, 'name');
  }
  if (root.description !== undefined) {
    recipe.description = v.string(root.description, 'description');
  }
  return recipe;
}

class Validator {
  constructor(private readonly source: string) {}

  fail(path: string, detail: string): never {
    throw new RecipeError(path, detail, this.source);
  }

  object(value: unknown, path: string): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be a mapping (got ${describe(value)})`);
    }
    return value as Obj;
  }

  keys(obj: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail(join(path, key), `unknown key; allowed: ${allowed.join(', ')}`);
      }
    }
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') {
      this.fail(path, `must be a string (got ${describe(value)})`);
    }
    return value;
  }

  int(value: unknown, path: string, min: number, max: number, fallback?: number): number {
    if (value === undefined && fallback !== undefined) {
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max} (got ${describe(value)})`);
    }
    return value;
  }

  number(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(path, `must be a number from ${min} to ${max} (got ${describe(value)})`);
    }
    return value;
  }

  oneOf<T extends string | number | boolean>(
    value: unknown,
    path: string,
    allowed: readonly T[],
    fallback?: T,
  ): T {
    if (value === undefined && fallback !== undefined) {
      return fallback;
    }
    if (!allowed.includes(value as T)) {
      this.fail(path, `must be one of ${allowed.join(', ')} (got ${describe(value)})`);
    }
    return value as T;
  }

  configMap(value: unknown, path: string): Record<string, OpCompressionConfig | null> {
    if (value === undefined || value === null) {
      return {};
    }
    const obj = this.object(value, path);
    const out: Record<string, OpCompressionConfig | null> = {};
    for (const [key, config] of Object.entries(obj)) {
      out[key] = config === null ? null : this.opConfig(config, join(path, key));
    }
    return out;
  }

  opConfig(value: unknown, path: string): OpCompressionConfig {
    const obj = this.object(value, path);
    this.keys(obj, path, ['weight_threshold', 'prune', 'palettize', 'quantize']);
    if (obj.palettize !== undefined && obj.quantize !== undefined) {
      this.fail(join(path, 'quantize'), 'palettize and quantize cannot both be set (prune may join either)');
    }
    const config: OpCompressionConfig = {
      weightThreshold: this.int(
        obj.weight_threshold,
        join(path, 'weight_threshold'),
        0,
        2 ** 40,
        DEFAULT_WEIGHT_THRESHOLD,
      ),
    };
    if (obj.prune !== undefined) {
      config.prune = this.prune(obj.prune, join(path, 'prune'));
    }
    if (obj.palettize !== undefined) {
      config.palettize = this.palettize(obj.palettize, join(path, 'palettize'));
    }
    if (obj.quantize !== undefined) {
      config.quantize = this.quantize(obj.quantize, join(path, 'quantize'));
    }
    return config;
  }

  palettize(value: unknown, path: string): PalettizeConfig {
    const o = this.object(value, path);
    this.keys(o, path, [
      'mode',
      'nbits',
      'granularity',
      'group_size',
      'channel_axis',
      'per_channel_scale',
      'lut_dtype',
    ]);
    const granularity = this.oneOf(
      o.granularity,
      join(path, 'granularity'),
      PALETTIZE_GRANULARITIES,
      'per_tensor',
    );
    if (granularity === 'per_tensor' && o.group_size !== undefined) {
      this.fail(join(path, 'group_size'), 'only applies with granularity per_grouped_channel');
    }
    const config: PalettizeConfig = {
      mode: this.oneOf(o.mode, join(path, 'mode'), PALETTIZE_MODES, 'kmeans'),
      nbits: this.oneOf(o.nbits, join(path, 'nbits'), PALETTIZE_NBITS),
      granularity,
      groupSize: this.int(o.group_size, join(path, 'group_size'), 1, 2 ** 31, 16),
      perChannelScale: this.oneOf(o.per_channel_scale, join(path, 'per_channel_scale'), [true, false], false),
      lutDtype: this.oneOf(o.lut_dtype, join(path, 'lut_dtype'), LUT_DTYPES, 'float32'),
    };
    if (o.channel_axis !== undefined) {
      config.channelAxis = this.int(o.channel_axis, join(path, 'channel_axis'), -8, 7);
    }
    return config;
  }

  quantize(value: unknown, path: string): QuantizeConfig {
    const o = this.object(value, path);
    this.keys(o, path, [
      'mode',
      'dtype',
      'granularity',
      'block_size',
      'channel_axis',
      'format',
      'accuracy_level',
    ]);
    const format = this.oneOf(o.format, join(path, 'format'), QUANTIZE_FORMATS, 'qdq');
    const granularity = this.oneOf(
      o.granularity,
      join(path, 'granularity'),
      QUANTIZE_GRANULARITIES,
      format === 'matmul_nbits' ? 'per_block' : 'per_channel',
    );
    const dtype = this.oneOf(
      o.dtype,
      join(path, 'dtype'),
      QUANTIZE_DTYPES,
      format === 'matmul_nbits' ? 'uint4' : 'int8',
    );
    if (format === 'matmul_nbits') {
      if (dtype !== 'int4' && dtype !== 'uint4') {
        this.fail(join(path, 'dtype'), `must be one of int4, uint4 with format matmul_nbits (got ${dtype})`);
      }
      if (granularity !== 'per_block') {
        this.fail(
          join(path, 'granularity'),
          `must be per_block with format matmul_nbits (got ${granularity})`,
        );
      }
    }
    if (granularity !== 'per_block' && o.block_size !== undefined) {
      this.fail(join(path, 'block_size'), 'only applies with granularity per_block');
    }
    const blockSize = this.int(o.block_size, join(path, 'block_size'), 1, 2 ** 20, 32);
    if (format === 'matmul_nbits' && (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)) {
      this.fail(
        join(path, 'block_size'),
        `must be a power of two >= 16 with format matmul_nbits (got ${blockSize})`,
      );
    }
    const config: QuantizeConfig = {
      mode: this.oneOf(o.mode, join(path, 'mode'), QUANTIZE_MODES, 'linear_symmetric'),
      dtype,
      granularity,
      blockSize,
      format,
      accuracyLevel: this.oneOf(o.accuracy_level, join(path, 'accuracy_level'), ACCURACY_LEVELS, 4),
    };
    if (o.channel_axis !== undefined) {
      config.channelAxis = this.int(o.channel_axis, join(path, 'channel_axis'), -8, 7);
    }
    return config;
  }

  prune(value: unknown, path: string): PruneConfig {
    const o = this.object(value, path);
    this.keys(o, path, ['mode', 'threshold', 'target_sparsity', 'n_m_ratio', 'block_size', 'dim', 'storage']);
    const mode = this.oneOf(o.mode, join(path, 'mode'), PRUNE_MODES, 'magnitude');
    const config: PruneConfig = {
      mode,
      storage: this.oneOf(o.storage, join(path, 'storage'), SPARSE_STORAGE, 'auto'),
    };
    const allowedBy: Record<PruneConfig['mode'], string[]> = {
      threshold: ['threshold'],
      magnitude: ['target_sparsity'],
      n_m: ['n_m_ratio', 'dim'],
      block: ['target_sparsity', 'block_size', 'dim'],
    };
    for (const key of ['threshold', 'target_sparsity', 'n_m_ratio', 'block_size', 'dim']) {
      if (o[key] !== undefined && !allowedBy[mode].includes(key)) {
        this.fail(
          join(path, key),
          `does not apply to mode ${mode}; that mode takes: ${allowedBy[mode].join(', ')}`,
        );
      }
    }
    switch (mode) {
      case 'threshold':
        config.threshold = this.number(o.threshold, join(path, 'threshold'), 0, Number.MAX_VALUE);
        break;
      case 'magnitude':
        config.targetSparsity = this.number(o.target_sparsity, join(path, 'target_sparsity'), 0, 1);
        break;
      case 'block':
        config.targetSparsity = this.number(o.target_sparsity, join(path, 'target_sparsity'), 0, 1);
        config.blockSize = this.int(o.block_size, join(path, 'block_size'), 2, 2 ** 20);
        break;
      case 'n_m': {
        const [n, m] = this.ratio(o.n_m_ratio, join(path, 'n_m_ratio'));
        config.n = n;
        config.m = m;
        break;
      }
    }
    if (o.dim !== undefined) {
      config.dim = this.int(o.dim, join(path, 'dim'), -8, 7);
    }
    return config;
  }

  /** "2:4" or [2, 4]: n of every m weights are zeroed. */
  ratio(value: unknown, path: string): [number, number] {
    const parts = typeof value === 'string' ? value.split(':').map(Number) : value;
    if (
      !Array.isArray(parts) ||
      parts.length !== 2 ||
      !parts.every((p) => typeof p === 'number' && Number.isInteger(p)) ||
      (parts[0] as number) < 1 ||
      (parts[0] as number) >= (parts[1] as number) ||
      (parts[1] as number) > 64
    ) {
      this.fail(path, `must be "n:m" or [n, m] with 1 <= n < m <= 64 (got ${describe(value)})`);
    }
    return [parts[0] as number, parts[1] as number];
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  return JSON.stringify(value) ?? typeof value;
}
