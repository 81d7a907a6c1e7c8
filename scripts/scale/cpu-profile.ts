// Summarizes a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function, and self time per
// package or project file. Used by bench-scale --cpu-prof; also runs alone:
//   node dist/scripts/scale/cpu-profile.js FILE.cpuprofile [--top 25]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  fn: string;
  /** Project file (as its .ts source) or npm package or node internal, with the line. */
  where: string;
  selfPct: number;
  totalPct: number;
}

export interface ProfileSummary {
  durationS: number;
  /** % of samples not idle: how busy the process was. */
  busyPct: number;
  /** Of busy time. */
  functions: HotSpot[];
  /** Self time per package (node_modules), project file, or node internals, of busy time. */
  places: { place: string; selfPct: number }[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a frame lives: the .ts file for project code, the package for dependencies. */
export function placeOf(url: string): string {
  if (url === '') {
    return '(native)';
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (pkg) {
    return pkg[1]!;
  }
  const project = /\/dist\/((?:apps|libs|scripts|test)\/.*)\.js$/.exec(path);
  if (project) {
    return `${project[1]}.ts`;
  }
  return path.startsWith('node:') ? path : path.replace(/^.*\//, '');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line: [column, source line] segments, from a source map's VLQ mappings. */
function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let srcLine = 0;
  for (const line of mappings.split(';')) {
    const segments: [number, number][] = [];
    let col = 0;
    for (const segment of line.split(',')) {
      if (segment === '') {
        continue;
      }
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += values[0] ?? 0;
      if (values.length >= 4) {
        srcLine += values[2]!;
        segments.push([col, srcLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

const maps = new Map<string, { source: string; lines: [number, number][][] } | undefined>();

/**
 * The .ts file and line of a compiled project frame, through the .js.map beside it (read when the
 * summary is made: right after the run, so it matches the code that ran unless dist was rebuilt meanwhile).
 */
function sourcePosition(url: string, line: number, column: number): string | undefined {
  if (!url.startsWith('file://') || url.includes('node_modules/')) {
    return undefined;
  }
  const file = fileURLToPath(url);
  if (!maps.has(file)) {
    try {
      const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
      const source = resolve(dirname(file), map.sources[0] ?? '');
      const root = resolve(dirname(file), relative(dirname(file), source));
      maps.set(
        file,
        existsSync(root) ? { source: projectPath(root), lines: decodeMappings(map.mappings) } : undefined,
      );
    } catch {
      maps.set(file, undefined);
    }
  }
  const map = maps.get(file);
  if (!map) {
    return undefined;
  }
  // The segment at or before the column on that line; else the nearest earlier line that has one.
  for (let l = line; l >= 0; l--) {
    const segments = map.lines[l] ?? [];
    const hit = [...segments].reverse().find(([col]) => l < line || col <= column);
    if (hit) {
      return `${map.source}:${hit[1] + 1}`;
    }
  }
  return undefined;
}

function projectPath(absolute: string): string {
  const at = absolute.search(/\/(apps|libs|scripts|test)\//);
  return at >= 0 ? absolute.slice(at + 1) : absolute;
}

function fileOf(url: string): string {
  const place = placeOf(url);
  if (!url.includes('node_modules/')) {
    return place;
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return `${place}/${path.replace(/^.*node_modules\/(?:@[^/]+\/)?[^/]+\//, '')}`;
}

function tree(profile: CpuProfile): { byId: Map<number, ProfileNode>; parent: Map<number, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) {
      parent.set(c, n.id);
    }
  }
  return { byId, parent };
}

export function summarize(profile: CpuProfile, top = 25): ProfileSummary {
  const { byId, parent } = tree(profile);
  const key = (n: ProfileNode): string => {
    const f = n.callFrame;
    const name = f.functionName || '(anonymous)';
    if (SPECIAL.has(name)) {
      return name;
    }
    const where =
      sourcePosition(f.url, f.lineNumber, f.columnNumber) ?? `${fileOf(f.url)}:${f.lineNumber + 1}`;
    return `${name}\u0000${where}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const places = new Map<string, number>();
  let idle = 0;
  let all = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node) {
      continue;
    }
    all += 1;
    if (node.callFrame.functionName === '(idle)') {
      idle += 1;
      continue;
    }
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + 1);
    const name = node.callFrame.functionName;
    const place = SPECIAL.has(name) ? name : placeOf(node.callFrame.url);
    places.set(place, (places.get(place) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k2 = key(byId.get(at)!);
      if (!seen.has(k2)) {
        seen.add(k2);
        total.set(k2, (total.get(k2) ?? 0) + 1);
      }
    }
  }
  const busy = Math.max(1, all - idle);
  const pct = (n: number): number => (100 * n) / busy;
  const functions = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, n]) => {
      const [fn, where] = k.split('\u0000');
      return { fn: fn!, where: where ?? '', selfPct: pct(n), totalPct: pct(total.get(k) ?? n) };
    });
  return {
    durationS: (profile.endTime - profile.startTime) / 1e6,
    busyPct: (100 * (all - idle)) / Math.max(1, all),
    functions,
    places: [...places.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([place, n]) => ({ place, selfPct: pct(n) })),
  };
}

/** Project functions (apps/, libs/) by inclusive time: where the coordinator's own code spends it. */
export function projectHotPaths(profile: CpuProfile, top = 15): HotSpot[] {
  const { byId, parent } = tree(profile);
  const total = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') {
      continue;
    }
    busy += 1;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      const place = placeOf(f.url);
      if (!/^(apps|libs)\//.test(place)) {
        continue;
      }
      const where = sourcePosition(f.url, f.lineNumber, f.columnNumber) ?? `${place}:${f.lineNumber + 1}`;
      const k = `${f.functionName || '(anonymous)'}\u0000${where}`;
      if (!seen.has(k)) {
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + 1);
      }
    }
  }
  return [...total.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, n]) => {
      const [fn, where] = k.split('\u0000');
      return { fn: fn!, where: where ?? '', selfPct: NaN, totalPct: (100 * n) / Math.max(1, busy) };
    });
}

/** Who calls `fn` when it is on top of the stack: its callers `depth` frames up, by share of its self time. */
export function callersOf(profile: CpuProfile, fn: string, depth = 4): { stack: string; pct: number }[] {
  const { byId, parent } = tree(profile);
  const stacks = new Map<string, number>();
  let hits = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (node?.callFrame.functionName !== fn) {
      continue;
    }
    hits += 1;
    const frames: string[] = [];
    for (let at = parent.get(id); at !== undefined && frames.length < depth; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (f.functionName === '(root)') {
        break;
      }
      const where =
        sourcePosition(f.url, f.lineNumber, f.columnNumber) ?? `${fileOf(f.url)}:${f.lineNumber + 1}`;
      frames.push(`${f.functionName || '(anonymous)'} ${where}`);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + 1);
  }
  return [...stacks.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([stack, n]) => ({ stack, pct: (100 * n) / Math.max(1, hits) }));
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatSummary(file: string, top = 25): string {
  const profile = readProfile(file);
  const s = summarize(profile, top);
  const lines = [
    `${file}: ${s.durationS.toFixed(1)} s, busy ${s.busyPct.toFixed(0)} % of samples`,
    '',
    '| self % | incl. % | function | where |',
    '| ---: | ---: | --- | --- |',
    ...s.functions.map(
      (f) => `| ${f.selfPct.toFixed(1)} | ${f.totalPct.toFixed(1)} | ${f.fn} | ${f.where} |`,
    ),
    '',
    '| self % | package / project file |',
    '| ---: | --- |',
    ...s.places.map((p) => `| ${p.selfPct.toFixed(1)} | ${p.place} |`),
    '',
    '| incl. % | project function (apps/, libs/) |',
    '| ---: | --- |',
    ...projectHotPaths(profile, top).map((f) => `| ${f.totalPct.toFixed(1)} | ${f.fn} (${f.where}) |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      // Drill into one function: its callers (e.g. --callers writev).
      callers: { type: 'string' },
      depth: { type: 'string', default: '4' },
    },
  });
  for (const file of positionals) {
    if (values.callers) {
      const rows = callersOf(readProfile(file), values.callers, Number(values.depth));
      process.stdout.write(
        `${file}: callers of ${values.callers}\n${rows.map((r) => `${r.pct.toFixed(1)} %  ${r.stack}`).join('\n')}\n\n`,
      );
    } else {
      process.stdout.write(`${formatSummary(file, Number(values.top))}\n\n`);
    }
  }
}
