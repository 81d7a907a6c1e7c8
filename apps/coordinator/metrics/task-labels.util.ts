import { type Task, TaskState } from '#contracts';
import type { ResultLabels, TaskStatusLabel } from '#metrics';
import { type ConnectedAgent, agentRuntime } from '../agents/agent-registry.service.js';

const STATUS: Partial<Record<TaskState, TaskStatusLabel>> = {
  [TaskState.TASK_STATE_QUEUED]: 'queued',
  [TaskState.TASK_STATE_LEASED]: 'leased',
  [TaskState.TASK_STATE_RUNNING]: 'running',
  [TaskState.TASK_STATE_SUCCEEDED]: 'succeeded',
  [TaskState.TASK_STATE_FAILED]: 'failed',
  [TaskState.TASK_STATE_CANCELLED]: 'cancelled',
};

export function taskStatus(state: TaskState): TaskStatusLabel | undefined {
  return STATUS[state];
}

/**
 * The runtime label is the version the agent really loads for the task's spec ('' = its default), so the
 * live histogram and the result gauges of one task land on the same series.
 */
export function taskLabels(
  task: Pick<Task, 'modelName' | 'variant' | 'ep' | 'runtime' | 'agentId'>,
  agent: ConnectedAgent | undefined,
): ResultLabels {
  const runtime = agent ? agentRuntime(agent, task.runtime)?.version : undefined;
  return {
    model: task.modelName,
    variant: task.variant || 'original',
    agent: agent?.name ?? task.agentId,
    ep: task.ep,
    runtime: runtime || task.runtime || 'default',
  };
}
