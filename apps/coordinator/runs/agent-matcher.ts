import { type Target } from '#contracts';
import { DomainError, DomainErrorCode, formatLabels, labelsMatch } from '#common';
import {
  type AgentInfo,
  agentRuntime,
  availableEps,
  compareVersions,
} from '../agents/agent-registry.service.js';

export interface Placement {
  agentId: string | null;
  ep: string;
  /** The runtime spec as asked ('' = the agent's default). */
  runtime: string;
}

export function targetEps(target: Target): string[] {
  return target.executionProviders.length > 0 ? target.executionProviders : ['cpu'];
}

/** Requested runtimes, oldest first: the oldest is the reference when outputs are compared across them. */
export function targetRuntimes(target: Target): string[] {
  const specs = [...new Set(target.runtimes.map((r) => r.trim()).filter(Boolean))];
  return specs.length > 0 ? specs.sort(compareVersions) : [''];
}

export function agentFitsTarget(agent: AgentInfo, target: Target): boolean {
  const named =
    target.agents.length === 0 || target.agents.includes(agent.id) || target.agents.includes(agent.name);
  return named && labelsMatch(agent.labels, target.labels);
}

export function canRun(agent: AgentInfo, ep: string, runtime: string): boolean {
  return availableEps(agent, runtime).includes(ep);
}

/**
 * Where the tasks of one model go: one per (agent, EP, runtime) for a hardware or runtime comparison, or one
 * unbound task per (EP, runtime) for "any one agent". Fails, naming what is missing and why, when no
 * connected agent can take some combination.
 */
export function placeTasks(target: Target, agents: AgentInfo[]): Placement[] {
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
  for (const runtime of targetRuntimes(target)) {
    const withRuntime = fitting.filter((a) => agentRuntime(a, runtime) !== undefined);
    if (withRuntime.length === 0) {
      const installed = fitting
        .map((a) => `${a.name}: ${a.runtimes.map((r) => r.version).join(', ') || 'default only'}`)
        .join('; ');
      throw new DomainError(
        DomainErrorCode.NO_MATCHING_AGENT,
        `no matching agent has ONNX Runtime ${runtime} (installed: ${installed})`,
      );
    }
    for (const ep of targetEps(target)) {
      const able = withRuntime.filter((a) => canRun(a, ep, runtime));
      if (able.length === 0) {
        const reasons = withRuntime
          .map((a) => {
            const probe = agentRuntime(a, runtime)?.executionProviders.find((p) => p.name === ep);
            return `${a.name}: ${probe ? probe.reason || 'unavailable' : 'not offered'}`;
          })
          .join('; ');
        const on = runtime ? ` with ONNX Runtime ${runtime}` : '';
        throw new DomainError(
          DomainErrorCode.NO_MATCHING_AGENT,
          `no matching agent can run execution provider '${ep}'${on} (${reasons})`,
        );
      }
      if (target.anyOneAgent) {
        placements.push({ agentId: null, ep, runtime });
      } else {
        placements.push(...able.map((a) => ({ agentId: a.id, ep, runtime })));
      }
    }
  }
  return placements;
}
