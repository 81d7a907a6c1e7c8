import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from './bench.exception.js';
import { type RuntimeInfo } from './ort-runtime.types.js';

const MAIN_PACKAGE = 'onnxruntime-node';
/** The main package and its npm aliases; the alias suffix is free-form ('-1.22', '-legacy', ...). */
const PACKAGE_DIR = /^onnxruntime-node(?:-[\w.-]+)?$/;

export interface ListRuntimesOptions {
  /** The node_modules folder to scan; default: the one Node resolves `onnxruntime-node` from. */
  nodeModulesDir?: string;
}

let cached: RuntimeInfo[] | undefined;

/**
 * The onnxruntime-node packages installed beside the main one, sorted by version (oldest first).
 * An alias counts only when its package.json says it really is onnxruntime-node and it ships a native
 * binding for this platform (a failed postinstall leaves a package that cannot load). One entry per
 * version: when two aliases carry the same version, the default package wins, then the first by name.
 */
export function listRuntimes(options: ListRuntimesOptions = {}): RuntimeInfo[] {
  if (options.nodeModulesDir === undefined && cached !== undefined) {
    return cached.map((r) => ({ ...r }));
  }
  const dir = options.nodeModulesDir ?? defaultNodeModulesDir();
  const byVersion = new Map<string, RuntimeInfo>();
  const entries = dir === undefined ? [] : safeReaddir(dir).map((entry) => join(dir, entry));
  for (const path of entries.sort()) {
    const entry = basename(path);
    if (!PACKAGE_DIR.test(entry)) {
      continue;
    }
    const info = readRuntime(path, entry);
    if (info === undefined) {
      continue;
    }
    const seen = byVersion.get(info.version);
    if (seen === undefined || (info.isDefault && !seen.isDefault)) {
      byVersion.set(info.version, info);
    }
  }
  const list = [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
  if (options.nodeModulesDir === undefined) {
    cached = list;
  }
  return list.map((r) => ({ ...r }));
}

/**
 * '1.22' (newest 1.22.x), '1.22.0', a package name, or undefined / '' (the default `onnxruntime-node`,
 * else the newest). Throws RUNTIME_UNAVAILABLE naming what is installed.
 */
export function resolveRuntime(spec?: string, runtimes: RuntimeInfo[] = listRuntimes()): RuntimeInfo {
  const wanted = spec?.trim() ?? '';
  let match: RuntimeInfo | undefined;
  if (wanted === '') {
    match = runtimes.find((r) => r.isDefault) ?? runtimes.at(-1);
  } else {
    match =
      runtimes.find((r) => r.packageName === wanted) ??
      runtimes.filter((r) => r.version === wanted || r.version.startsWith(`${wanted}.`)).at(-1);
  }
  if (match === undefined) {
    const installed = runtimes.map((r) => r.version).join(', ') || 'none';
    const what = wanted === '' ? 'onnxruntime-node' : `runtime ${wanted}`;
    throw new BenchError(
      'RUNTIME_UNAVAILABLE',
      `${what} is not installed on this agent (installed: ${installed})`,
    );
  }
  return { ...match };
}

/** Numeric comparison of dotted versions; a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] =>
    v
      .split('-')[0]!
      .split('.')
      .map((p) => Number(p) || 0);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

function defaultNodeModulesDir(): string | undefined {
  // Node's own resolution, so an agent installed as a dependency finds its parent's node_modules.
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.resolve(MAIN_PACKAGE)));
  } catch {
    return undefined;
  }
  while (basename(dir) !== MAIN_PACKAGE) {
    const up = dirname(dir);
    if (up === dir) {
      return undefined;
    }
    dir = up;
  }
  return dirname(dir);
}

function readRuntime(packageDir: string, packageName: string): RuntimeInfo | undefined {
  let manifest: { name?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  if (manifest.name !== MAIN_PACKAGE || typeof manifest.version !== 'string' || !hasBinding(packageDir)) {
    return undefined;
  }
  return { version: manifest.version, packageName, isDefault: packageName === MAIN_PACKAGE };
}

/** bin/napi-v<N>/<platform>/<arch>/onnxruntime_binding.node; the napi level differs between releases. */
function hasBinding(packageDir: string): boolean {
  const bin = join(packageDir, 'bin');
  return safeReaddir(bin).some((napi) =>
    existsSync(join(bin, napi, process.platform, process.arch, 'onnxruntime_binding.node')),
  );
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
