import type { CompiledQuery, Compilable } from 'kysely';
import { type Db, dialectOf, withoutNul } from './database.js';

/** Stands for the template's i-th argument while the query is built once. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * A query of fixed shape, built and compiled by Kysely once; each call only fills in its values.
 *
 * Building and compiling the same few statements for every result was a tenth of the coordinator's time
 * at a thousand agents (scripts/bench-scale.ts --cpu-prof), and much of its garbage. `build` is called
 * once with placeholders for its arguments: each argument must end up as a bound value of the query
 * (never decide the query's shape: no arrays for IN lists, no branching on a value). Constants the
 * builder binds itself (a state list, a LIMIT) stay as they were compiled.
 */
export function queryTemplate<A extends unknown[], R = unknown>(
  db: Db,
  arity: A['length'],
  build: (...args: A) => Compilable<R>,
): (...args: A) => CompiledQuery<R> {
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
  const compiled = build(...(slots as unknown as A)).compile();
  const template = compiled.parameters.map((p) => (p instanceof Slot ? p.index : undefined));
  const used = new Set(template.filter((i) => i !== undefined));
  if (used.size !== arity) {
    throw new Error(`query template binds ${used.size} of its ${arity} arguments: ${compiled.sql}`);
  }
  const constants = compiled.parameters;
  // PostgreSQL text cannot hold U+0000: the same replacement as the store's plugin (database.ts), which
  // values filled in here never pass through.
  const value =
    dialectOf(db) === 'postgres' ? (v: unknown) => (typeof v === 'string' ? withoutNul(v) : v) : undefined;
  return (...args: A) => {
    const parameters = template.map((slot, i) => {
      const v = slot === undefined ? constants[i] : args[slot];
      return value ? value(v) : v;
    });
    return { ...compiled, parameters };
  };
}
