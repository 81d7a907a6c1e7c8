import type { Comparison, OpAdvice } from '#contracts';
import { median } from '#verdicts';
import type { Round } from './gate.types.js';

/** Per op type: the median over rounds of its total time; changes of 10 % and 0.05 ms or more. */
export function opAdvice(
  paired: Required<Round>[],
  base: Pick<Comparison, 'model' | 'variant' | 'agentName'>,
): OpAdvice[] {
  const totals = (side: 'base' | 'head'): Map<string, number> => {
    const byOp = new Map<string, number[]>();
    for (const r of paired) {
      for (const row of r[side].measurement?.opTypes ?? []) {
        byOp.set(row.opType, [...(byOp.get(row.opType) ?? []), row.totalMs]);
      }
    }
    return new Map([...byOp].map(([op, values]) => [op, median(values)]));
  };
  const b = totals('base');
  const h = totals('head');
  const out: OpAdvice[] = [];
  for (const op of new Set([...b.keys(), ...h.keys()])) {
    const baseMs = b.get(op) ?? 0;
    const headMs = h.get(op) ?? 0;
    const change = baseMs > 0 ? (headMs - baseMs) / baseMs : Number.POSITIVE_INFINITY;
    if (Math.abs(headMs - baseMs) >= 0.05 && Math.abs(change) >= 0.1) {
      out.push({
        model: base.model,
        variant: base.variant,
        agentName: base.agentName,
        opType: op,
        baseMs,
        headMs,
        relativeChange: change,
      });
    }
  }
  return out;
}
