import { isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, type ParsedNode, parseDocument } from 'yaml';
import { SuiteError } from './suite.exception.js';
import { type SourcePosition } from './suite.types.js';

export type YamlNode = ParsedNode | null | undefined;

export interface MapEntry {
  keyNode: ParsedNode;
  value: YamlNode;
}

/** Nesting deeper than this is not a suite file (and would only exercise recursion). */
const MAX_DEPTH = 32;
/** yaml's CST marker tokens (DOCUMENT, FLOW_END, SCALAR): no characters of the source. */
const LEXER_MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

/**
 * Reads a YAML document node by node instead of through `toJS()`, so every error names the line of the
 * offending value and aliases are never expanded (no alias bombs): aliases and explicit tags are refused.
 */
export class YamlReader {
  /** Key path -> position of its value, for every value read. */
  readonly locations: Record<string, SourcePosition> = {};

  private constructor(
    readonly fileName: string,
    private readonly lineCounter: LineCounter,
  ) {}

  static parse(text: string, fileName: string, maxBytes: number): { reader: YamlReader; root: YamlNode } {
    const lineCounter = new LineCounter();
    const reader = new YamlReader(fileName, lineCounter);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new SuiteError(
        fileName,
        1,
        1,
        '',
        `file is ${bytes} bytes; a suite may hold at most ${maxBytes}`,
      );
    }
    reader.checkFlowDepth(text);
    let doc;
    try {
      doc = parseDocument(text, {
        lineCounter,
        prettyErrors: false,
        // Duplicate keys are reported by the reader itself, with their key path.
        uniqueKeys: false,
        schema: 'core',
        version: '1.2',
        // No `<<` merge keys: they are aliases in disguise. toJS() (and its maxAliasCount) is never called.
        merge: false,
        customTags: [],
      });
    } catch (cause) {
      throw new SuiteError(
        fileName,
        1,
        1,
        '',
        `not valid YAML (${cause instanceof Error ? cause.message : String(cause)})`,
      );
    }
    const error = doc.errors[0];
    if (error) {
      const offset = error.pos[0];
      const root = doc.contents as YamlNode;
      throw reader.errorAt(offset, keyAt(root, offset, ''), `not valid YAML: ${error.message}`);
    }
    return { reader, root: doc.contents };
  }

  /**
   * The YAML parser spends ~20 us per level of `[[[[...`: refuse deep flow nesting from the cheap token
   * stream before a 1 MiB file of brackets costs seconds of coordinator CPU.
   */
  private checkFlowDepth(text: string): void {
    let depth = 0;
    let offset = 0;
    for (const token of new Lexer().lex(text)) {
      if (token === '[' || token === '{') {
        if (++depth > MAX_DEPTH) {
          // The line counter fills only while parsing: count lines here.
          const before = text.slice(0, offset);
          const line = before.split('\n').length;
          const column = offset - before.lastIndexOf('\n');
          const detail = `flow collections nested deeper than ${MAX_DEPTH} levels`;
          throw new SuiteError(this.fileName, line, column, '', detail);
        }
      } else if (token === ']' || token === '}') {
        depth--;
      }
      // The lexer also yields one-character markers that hold no source text.
      offset += LEXER_MARKERS.has(token) ? 0 : token.length;
    }
  }

  position(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  errorAt(offset: number, key: string, detail: string): SuiteError {
    const { line, column } = this.position(offset);
    return new SuiteError(this.fileName, line, column, key, detail);
  }

  /** `where` is the offending node, or the parent mapping when the key is missing. */
  fail(where: YamlNode, key: string, detail: string): never {
    throw this.errorAt(where?.range[0] ?? 0, key, detail);
  }

  mark(key: string, node: YamlNode): void {
    if (node) {
      this.locations[key] = this.position(node.range[0]);
    }
  }

  /** A mapping with string keys from `allowed` only; duplicates are refused. `null` reads as empty. */
  map(node: YamlNode, key: string, allowed?: readonly string[]): Map<string, MapEntry> {
    this.plainNode(node, key);
    const entries = new Map<string, MapEntry>();
    if (isNull(node)) {
      return entries;
    }
    if (!isMap(node)) {
      this.fail(node, key, `must be a mapping (got ${describeNode(node)})`);
    }
    this.mark(key, node);
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string' || keyNode.tag) {
        this.fail(
          keyNode ?? node,
          key,
          `keys must be plain strings (got ${describeNode(keyNode)}); quote them`,
        );
      }
      const name = keyNode.value;
      const path = join(key, name);
      if (allowed && !allowed.includes(name)) {
        this.fail(keyNode, path, `unknown key; allowed: ${allowed.join(', ')}`);
      }
      if (entries.has(name)) {
        this.fail(keyNode, path, 'key given twice');
      }
      entries.set(name, { keyNode, value: pair.value });
    }
    return entries;
  }

  /** A sequence; `null` reads as empty. */
  seq(node: YamlNode, key: string): ParsedNode[] {
    this.plainNode(node, key);
    if (isNull(node)) {
      return [];
    }
    if (!isSeq(node)) {
      this.fail(node, key, `must be a list (got ${describeNode(node)})`);
    }
    this.mark(key, node);
    return node.items;
  }

  scalar(node: YamlNode, key: string): unknown {
    this.plainNode(node, key);
    if (!node) {
      return undefined;
    }
    if (!isScalar(node)) {
      this.fail(node, key, `must be a single value (got ${describeNode(node)})`);
    }
    this.mark(key, node);
    return node.value;
  }

  string(node: YamlNode, key: string, pattern?: RegExp, hint?: string): string {
    const value = this.scalar(node, key);
    if (typeof value !== 'string' || (pattern && !pattern.test(value))) {
      this.fail(node, key, `must be ${hint ?? 'a string'} (got ${describe(value)})`);
    }
    return value;
  }

  int(node: YamlNode, key: string, min: number, max: number, fallback: number): number {
    const value = this.scalar(node, key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(node, key, `must be an integer from ${min} to ${max} (got ${describe(value)})`);
    }
    return value;
  }

  number(node: YamlNode, key: string, min: number, max: number, fallback: number): number {
    const value = this.scalar(node, key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(node, key, `must be a number from ${min} to ${max} (got ${describe(value)})`);
    }
    return value;
  }

  bool(node: YamlNode, key: string, fallback: boolean): boolean {
    const value = this.scalar(node, key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (typeof value !== 'boolean') {
      this.fail(node, key, `must be true or false (got ${describe(value)})`);
    }
    return value;
  }

  oneOf<T extends string>(node: YamlNode, key: string, allowed: readonly T[], fallback: T): T {
    const value = this.scalar(node, key);
    if (value === undefined || value === null) {
      return fallback;
    }
    if (!allowed.includes(value as T)) {
      this.fail(node, key, `must be one of ${allowed.join(', ')} (got ${describe(value)})`);
    }
    return value as T;
  }

  /** Any tree of mappings, lists and scalars as plain JS (for inline recipes), still refusing aliases and tags. */
  plain(node: YamlNode, key: string, depth = 0): unknown {
    if (depth > MAX_DEPTH) {
      this.fail(node, key, `nested deeper than ${MAX_DEPTH} levels`);
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const [name, entry] of this.map(node, key)) {
        out[name] = this.plain(entry.value, join(key, name), depth + 1);
      }
      return out;
    }
    if (isSeq(node)) {
      return this.seq(node, key).map((item, i) => this.plain(item, `${key}[${i}]`, depth + 1));
    }
    const value = this.scalar(node, key);
    return value === undefined ? null : value;
  }

  private plainNode(node: YamlNode, key: string): void {
    if (isAlias(node)) {
      this.fail(node, key, `aliases (*${node.source}) are not allowed in suite files; write the value out`);
    }
    if (node?.tag) {
      this.fail(node, key, `explicit tags (${node.tag}) are not allowed in suite files`);
    }
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeNode(node: YamlNode): string {
  if (isMap(node)) {
    return 'a mapping';
  }
  if (isSeq(node)) {
    return 'a list';
  }
  if (isScalar(node)) {
    return describe(node.value);
  }
  return 'nothing';
}

function isNull(node: YamlNode): boolean {
  return !node || (isScalar(node) && node.value === null);
}

/** The deepest key path whose key or value holds `offset` (for YAML syntax errors). */
function keyAt(node: YamlNode, offset: number, path: string): string {
  if (path.length > 200) {
    return path;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode;
      const value = pair.value as YamlNode;
      const start = keyNode?.range[0] ?? value?.range[0] ?? Infinity;
      const end = value?.range[1] ?? keyNode?.range[1] ?? -1;
      if (offset >= start && offset < end) {
        const name = isScalar(keyNode) ? String(keyNode.value) : '?';
        return keyAt(value, offset, join(path, name));
      }
    }
  }
  if (isSeq(node)) {
    for (const [i, item] of (node.items as YamlNode[]).entries()) {
      if (item && offset >= item.range[0] && offset < item.range[1]) {
        return keyAt(item, offset, `${path}[${i}]`);
      }
    }
  }
  return path;
}
