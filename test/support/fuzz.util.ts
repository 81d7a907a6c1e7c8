/** Deterministic mutations for the hostile-input tests: a seeded PRNG and byte/text mutators. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: tiny, fast, and the same sequence on every machine. */
  next(): number {
    let t = (this.state += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.int(256);
    }
    return out;
  }
}

export type Mutation = 'bitflip' | 'truncate' | 'splice' | 'overwrite' | 'insert' | 'random';

/** One mutation of `base` (kind chosen by the PRNG); `other` is the second parent of a splice. */
export function mutateBytes(
  rng: Prng,
  base: Uint8Array,
  other: Uint8Array,
): { bytes: Uint8Array; how: Mutation } {
  const how = rng.pick<Mutation>([
    'bitflip',
    'bitflip',
    'truncate',
    'splice',
    'overwrite',
    'insert',
    'random',
  ]);
  const copy = Uint8Array.from(base);
  switch (how) {
    case 'bitflip': {
      const flips = 1 + rng.int(16);
      for (let i = 0; i < flips; i++) {
        const at = rng.int(copy.length);
        copy[at] = copy[at]! ^ (1 << rng.int(8));
      }
      return { bytes: copy, how };
    }
    case 'truncate':
      return { bytes: copy.subarray(0, rng.int(copy.length)), how };
    case 'splice': {
      const a = rng.int(base.length);
      const b = rng.int(other.length);
      const out = new Uint8Array(a + other.length - b);
      out.set(base.subarray(0, a));
      out.set(other.subarray(b), a);
      return { bytes: out, how };
    }
    case 'overwrite': {
      const at = rng.int(copy.length);
      const junk = rng.bytes(Math.min(1 + rng.int(64), copy.length - at));
      copy.set(junk, at);
      return { bytes: copy, how };
    }
    case 'insert': {
      const at = rng.int(base.length);
      const junk = rng.bytes(1 + rng.int(32));
      const out = new Uint8Array(base.length + junk.length);
      out.set(base.subarray(0, at));
      out.set(junk, at);
      out.set(base.subarray(at), at + junk.length);
      return { bytes: out, how };
    }
    case 'random':
      return { bytes: rng.bytes(rng.int(512)), how };
  }
}

const TEXT_JUNK = [
  '',
  ' ',
  ':',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '\n',
  '\t',
  '&a',
  '*a',
  '!!binary',
  '-1',
  '1e309',
  'null',
  '~',
  '0x',
  '?',
  '%',
  '#',
  '\u0000',
  '\ud800',
  '9'.repeat(40),
];

/** A text mutation that keeps roughly the shape of YAML/JSON (so parsing gets past the first byte). */
export function mutateText(rng: Prng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + rng.pick(TEXT_JUNK) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + rng.int(8));
    case 3: {
      const lines = text.split('\n');
      const i = rng.int(lines.length);
      const j = rng.int(lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    default:
      return text.replace(/\d+/g, (d) =>
        rng.int(3) === 0 ? rng.pick(['0', '-3', '65536', '1.5', '1e9', d + d]) : d,
      );
  }
}
