import type { Assignment } from '#contracts';
import { resolveRuntime } from '#bench';
import type { ResultLabels } from '#metrics';

// The scheduler names a variant's task `model [variant]` (Assignment has no separate variant field).
const VARIANT_SUFFIX = /^(.*) \[([^\]]+)\]$/;

/** Same label values the coordinator uses for the task, so agent and farm series line up. */
export function assignmentLabels(assignment: Assignment, agent: string): ResultLabels {
  const match = VARIANT_SUFFIX.exec(assignment.modelName);
  return {
    model: match ? match[1]! : assignment.modelName,
    variant: match ? match[2]! : 'original',
    agent,
    ep: assignment.ep,
    runtime: runtimeVersion(assignment.runtime),
  };
}

function runtimeVersion(spec: string): string {
  try {
    return resolveRuntime(spec).version;
  } catch {
    return spec || 'default'; // the task will fail with the reason; the label only needs to be stable
  }
}
