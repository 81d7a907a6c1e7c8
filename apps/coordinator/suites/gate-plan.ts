import { newId } from '#common';
import type { TaskTable } from '../store/database.types.js';
import type { NewTask } from '../store/run.repository.js';

/** One artifact measured in a gate: the source model and, for compressed variants, the variant built from it. */
export interface GateArtifact {
  modelSha256: string;
  variantSha256: string | null;
}

/** One comparison cell of a gate: a (model, variant) on one agent, EP and runtime, base against head. */
export interface GateCell {
  model: string;
  variant: string;
  agentId: string;
  ep: string;
  runtime: string;
  base: GateArtifact;
  head: GateArtifact;
}

export const cellKey = (c: {
  model: string;
  variant: string;
  agentId: string;
  ep: string;
  runtime: string;
}): string => [c.model, c.variant, c.agentId, c.ep, c.runtime].join('\u0000');

/** The cell a stored task belongs to. */
export const taskCellKey = (
  t: Pick<TaskTable, 'model_name' | 'variant' | 'agent_id' | 'ep' | 'runtime'>,
): string =>
  cellKey({
    model: t.model_name,
    variant: t.variant,
    agentId: t.agent_id ?? '',
    ep: t.ep,
    runtime: t.runtime,
  });

function sideTask(cell: GateCell, side: 'base' | 'head', round: number): NewTask {
  const artifact = cell[side];
  const original = cell.variant === 'original';
  // Outputs are compared once, in round 1 (a reference costs a run of its own): the head's original
  // against the base's original; a compressed variant against the original it was built from.
  let reference: NewTask['reference'] = null;
  if (round === 1 && !original) {
    reference = { sha256: artifact.modelSha256, runtime: cell.runtime, label: 'original' };
  } else if (round === 1 && side === 'head') {
    reference = { sha256: cell.base.modelSha256, runtime: cell.runtime, label: 'base' };
  }
  return {
    id: newId('task'),
    modelSha256: artifact.modelSha256,
    modelName: cell.model,
    variant: cell.variant,
    variantSha256: artifact.variantSha256,
    agentId: cell.agentId,
    ep: cell.ep,
    runtime: cell.runtime,
    reference,
    side,
    round,
  };
}

/**
 * Rounds `from`..`to` of every cell, interleaved: each round measures base and head back to back on the
 * same agent, each in a fresh runner process, and the order alternates (ABBA) so a drift of the machine
 * during the gate (thermal, a neighbour's load) hits both sides alike.
 */
export function roundTasks(cells: GateCell[], from: number, to: number): NewTask[] {
  const tasks: NewTask[] = [];
  for (let round = from; round <= to; round++) {
    const order: ('base' | 'head')[] = round % 2 === 1 ? ['base', 'head'] : ['head', 'base'];
    for (const cell of cells) {
      for (const side of order) {
        tasks.push(sideTask(cell, side, round));
      }
    }
  }
  return tasks;
}
