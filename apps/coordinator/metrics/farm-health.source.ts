import { Injectable } from '@nestjs/common';
import type { AgentInfo, FarmHealthSource, TaskStatusLabel } from '#metrics';
import { type ConnectedAgent, AgentRegistry } from '../agents/agent-registry.service.js';
import { TaskStatsRepository } from './task-stats.repository.js';

type TaskCounts = Partial<Record<TaskStatusLabel, number>>;

/**
 * Counts read this recently are served again: two gauges of one scrape (tasks by state, queue depth) ask
 * for them, and counting reads every task the store holds (240 ms of PostgreSQL's time at two million).
 */
const COUNTS_REUSE_MS = 1_000;

/** Farm-health gauges read the live registry and the store when Prometheus scrapes, never a copy. */
@Injectable()
export class FarmHealthSourceService implements FarmHealthSource {
  private counts?: { at: number; value: Promise<TaskCounts> };

  constructor(
    private readonly registry: AgentRegistry,
    private readonly stats: TaskStatsRepository,
  ) {}

  agents(): { info: AgentInfo; busy: boolean }[] {
    return this.registry
      .all()
      .map((agent) => ({ info: agentInfo(agent), busy: agent.runningTaskId !== undefined }));
  }

  taskCounts(): Promise<TaskCounts> {
    const now = Date.now();
    if (!this.counts || now - this.counts.at > COUNTS_REUSE_MS) {
      const value = this.stats.countByState();
      const counts = { at: now, value };
      value.catch(() => {
        if (this.counts === counts) {
          this.counts = undefined; // a failed read is not served again
        }
      });
      this.counts = counts;
    }
    return this.counts.value;
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
