import type { Variant } from '#contracts';
import { newId } from '#common';
import type { NewTask } from '../store/run.repository.js';
import type { Placement } from './agent-matcher.js';

/**
 * One task per (variant, agent, EP, runtime). Each compressed variant is compared with the original on the
 * same agent, EP, runtime and inputs; with several runtimes, the original on each newer runtime is compared
 * with the original on the oldest one (the talk's "same model, new stack" question).
 */
export function expandTasks(
  model: { sha256: string; name: string },
  variants: Variant[],
  placements: Placement[],
  oldestRuntime: string,
): NewTask[] {
  const tasks: NewTask[] = [];
  for (const p of placements) {
    tasks.push({
      id: newId('task'),
      modelSha256: model.sha256,
      modelName: model.name,
      variant: 'original',
      variantSha256: null,
      agentId: p.agentId,
      ep: p.ep,
      runtime: p.runtime,
      reference:
        p.runtime !== oldestRuntime
          ? {
              sha256: model.sha256,
              runtime: oldestRuntime,
              label: `original on ONNX Runtime ${oldestRuntime}`,
            }
          : null,
    });
    for (const variant of variants) {
      tasks.push({
        id: newId('task'),
        modelSha256: model.sha256,
        modelName: model.name,
        variant: variant.name,
        variantSha256: variant.variantSha256,
        agentId: p.agentId,
        ep: p.ep,
        runtime: p.runtime,
        reference: { sha256: model.sha256, runtime: p.runtime, label: 'original' },
      });
    }
  }
  return tasks;
}
