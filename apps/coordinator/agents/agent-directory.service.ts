import { Injectable } from '@nestjs/common';
import type { ListAgentsResponse } from '#contracts';
import { AgentRepository } from '../store/agent.repository.js';
import { AgentRegistry } from './agent-registry.service.js';

/** Every agent ever seen (from the store), marked with whether its stream is open here now. */
@Injectable()
export class AgentDirectoryService {
  constructor(
    private readonly agents: AgentRepository,
    private readonly registry: AgentRegistry,
  ) {}

  async list(): Promise<ListAgentsResponse> {
    const known = await this.agents.list();
    return {
      agents: known.map((a) => {
        const live = this.registry.get(a.id);
        return {
          id: a.id,
          name: a.name,
          labels: a.labels,
          fingerprint: a.fingerprint,
          executionProviders: a.executionProviders,
          runtimes: a.runtimes,
          connected: live !== undefined,
          lastSeenMs: String(a.lastSeenAt),
          runningTaskId: live?.runningTaskId ?? '',
        };
      }),
    };
  }
}
