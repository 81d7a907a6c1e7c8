import type { Scenario, TaskResult } from '#contracts';
import { fingerprintKey } from '#suites';
import { type AgentInfo, agentRuntime } from '../agents/agent-registry.service.js';

/** The key a result of this task will carry: the agent's machine, the runtime and the threads it will use. */
export function expectedFingerprintKey(agent: AgentInfo, scenario: Scenario, runtimeSpec: string): string {
  const fp = agent.fingerprint;
  return fingerprintKey(
    {
      ...fp,
      // The agent runs with the scenario's threads when it names them, else with its own setting.
      intraOpThreads: scenario.intraOpThreads || fp.intraOpThreads,
      interOpThreads: scenario.interOpThreads || fp.interOpThreads,
    },
    agentRuntime(agent, runtimeSpec)?.version || fp.ortVersion,
  );
}

export function resultFingerprintKey(result: TaskResult): string {
  return result.fingerprint
    ? fingerprintKey(result.fingerprint, result.measurement?.ortVersion || result.fingerprint.ortVersion)
    : '';
}
