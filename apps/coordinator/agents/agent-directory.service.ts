import { Inject, Injectable } from '@nestjs/common';
import type { ListAgentsResponse } from '#contracts';
import { ClusterService } from '../cluster/cluster.service.js';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { AgentPresenceRepository, type Presence } from '../store/agent-presence.repository.js';
import { AgentRepository } from '../store/agent.repository.js';
import { type AgentInfo, AgentRegistry } from './agent-registry.service.js';

/** Heartbeats missed before an agent of another replica no longer counts as connected. */
const MISSED_HEARTBEATS = 3;

/**
 * Every agent ever seen (from the store), marked with whether its stream is open: here (this replica's
 * registry) or on another replica (its mark in the store, kept fresh by heartbeats).
 */
@Injectable()
export class AgentDirectoryService {
  constructor(
    private readonly agents: AgentRepository,
    private readonly registry: AgentRegistry,
    private readonly presence: AgentPresenceRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly cluster: ClusterService,
  ) {}

  /**
   * Agents whose stream is open on any replica: this one's, then the others' (from the store). Runs are
   * placed on these, so a run submitted to one replica reaches the agents of all of them.
   */
  async connectedAgents(): Promise<AgentInfo[]> {
    const here: AgentInfo[] = this.registry.all();
    if (!this.cluster.shared) {
      return here;
    }
    const elsewhere = await this.presence.connected(
      Date.now() - MISSED_HEARTBEATS * this.config.heartbeatIntervalMs,
    );
    const local = new Set(here.map((a) => a.id));
    const remote = (await this.agents.list()).filter((a) => elsewhere.has(a.id) && !local.has(a.id));
    return [...here, ...remote];
  }

  async list(): Promise<ListAgentsResponse> {
    const known = await this.agents.list();
    // With SQLite there is no other replica: a mark left by a killed predecessor means nothing.
    const elsewhere = this.cluster.shared
      ? await this.presence.connected(Date.now() - MISSED_HEARTBEATS * this.config.heartbeatIntervalMs)
      : new Map<string, Presence>();
    const remoteTasks = elsewhere.size > 0 ? await this.presence.runningTasks() : new Map<string, string>();
    return {
      agents: known.map((a) => {
        const live = this.registry.get(a.id);
        const remote = live ? undefined : elsewhere.get(a.id);
        return {
          id: a.id,
          name: a.name,
          labels: a.labels,
          fingerprint: a.fingerprint,
          executionProviders: a.executionProviders,
          runtimes: a.runtimes,
          connected: live !== undefined || remote !== undefined,
          lastSeenMs: String(a.lastSeenAt),
          runningTaskId: live?.runningTaskId ?? (remote ? (remoteTasks.get(a.id) ?? '') : ''),
        };
      }),
    };
  }
}
