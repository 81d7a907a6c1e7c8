import { type Target } from '#contracts';
import { DomainError, DomainErrorCode, formatLabels, labelsMatch } from '#common';
import { type ConnectedAgent, availableEps } from '../agents/agent-registry.service.js';

export interface Placement {
  agentId: string | null;
  ep: string;
}

export function targetEps(target: Target): string[] {
  return target.executionProviders.length > 0 ? target.executionProviders : ['cpu'];
}

export function agentFitsTarget(agent: ConnectedAgent, target: Target): boolean {
  const named =
    target.agents.length === 0 || target.agents.includes(agent.id) || target.agents.includes(agent.name);
  return named && labelsMatch(agent.labels, target.labels);
}

/**
 * Where the tasks of one model go: one per (agent, EP) for a hardware comparison, or one unbound task per
 * EP for "any one agent". Fails, naming what is missing, when no connected agent can take some EP.
 */
export function placeTasks(target: Target, agents: ConnectedAgent[]): Placement[] {
  const fitting = agents.filter((a) => agentFitsTarget(a, target));
  if (fitting.length === 0) {
    const known = agents.map((a) => `${a.name}{${formatLabels(a.labels)}}`).join(', ') || 'none connected';
    const wanted = [
      target.labels.length > 0 ? `labels ${formatLabels(target.labels)}` : '',
      target.agents.length > 0 ? `name/id in [${target.agents.join(', ')}]` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    throw new DomainError(
      DomainErrorCode.NO_MATCHING_AGENT,
      `no connected agent has ${wanted || 'any labels'} (agents: ${known})`,
    );
  }
  const placements: Placement[] = [];
  for (const ep of targetEps(target)) {
    const able = fitting.filter((a) => availableEps(a).includes(ep));
    if (able.length === 0) {
      const reasons = fitting
        .map((a) => {
          const probe = a.executionProviders.find((p) => p.name === ep);
          return `${a.name}: ${probe ? probe.reason || 'unavailable' : 'not offered'}`;
        })
        .join('; ');
      throw new DomainError(
        DomainErrorCode.NO_MATCHING_AGENT,
        `no matching agent can run execution provider '${ep}' (${reasons})`,
      );
    }
    if (target.anyOneAgent) {
      placements.push({ agentId: null, ep });
    } else {
      placements.push(...able.map((a) => ({ agentId: a.id, ep })));
    }
  }
  return placements;
}
