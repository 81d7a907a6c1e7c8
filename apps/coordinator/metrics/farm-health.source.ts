import { Injectable } from '@nestjs/common';
import type { AgentInfo, FarmHealthSource, TaskStatusLabel } from '#metrics';
import { type ConnectedAgent, AgentRegistry } from '../agents/agent-registry.service.js';
import { TaskStatsRepository } from './task-stats.repository.js';

/** Farm-health gauges read the live registry and the store when Prometheus scrapes, never a copy. */
@Injectable()
export class FarmHealthSourceService implements FarmHealthSource {
  constructor(
    private readonly registry: AgentRegistry,
    private readonly stats: TaskStatsRepository,
  ) {}

  agents(): { info: AgentInfo; busy: boolean }[] {
    return this.registry
      .all()
      .map((agent) => ({ info: agentInfo(agent), busy: agent.runningTaskId !== undefined }));
  }

  taskCounts(): Promise<Partial<Record<TaskStatusLabel, number>>> {
    return this.stats.countByState();
  }
}

function agentInfo(agent: ConnectedAgent): AgentInfo {
  const f = agent.fingerprint;
  return {
    agent: agent.name,
    cpu_model: f.cpuModel ?? '',
    cpu_cores: String(f.cpuCores ?? ''),
    arch: f.arch ?? '',
    os: f.os ?? '',
    gpu: f.gpu ?? '',
    ort_version: agent.runtimes.find((r) => r.isDefault)?.version ?? f.ortVersion ?? '',
    labels: agent.labels.map((l) => `${l.key}=${l.value}`).join(','),
  };
}
