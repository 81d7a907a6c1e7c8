import { Injectable } from '@nestjs/common';
import type { ConnectResponse, ExecutionProvider, Fingerprint, Label, Runtime } from '#contracts';

export interface ConnectedAgent {
  id: string;
  name: string;
  labels: Label[];
  fingerprint: Fingerprint;
  /** Of the agent's default runtime. */
  executionProviders: ExecutionProvider[];
  runtimes: Runtime[];
  /** One task at a time: two benchmarks on one machine would measure each other. */
  runningTaskId?: string;
  /**
   * When runningTaskId was set (ms): a heartbeat the agent sent before its assignment reached it does not
   * name the task, so only a heartbeat later than this plus one heartbeat interval may free the agent.
   */
  busySince?: number;
  send(message: ConnectResponse): void;
  /** Ends the stream, e.g. when the same agent id connects again. */
  close(): void;
}

/** What placing and matching tasks needs to know of an agent, wherever its stream is open. */
export type AgentInfo = Omit<ConnectedAgent, 'send' | 'close' | 'runningTaskId' | 'busySince'>;

/** The agents whose Connect stream is open on this coordinator. */
@Injectable()
export class AgentRegistry {
  private readonly agents = new Map<string, ConnectedAgent>();

  add(agent: ConnectedAgent): void {
    const previous = this.agents.get(agent.id);
    this.agents.set(agent.id, agent);
    // A reconnect can arrive before the old stream is noticed dead; keep only the newest.
    if (previous && previous !== agent) {
      previous.close();
    }
  }

  remove(agent: ConnectedAgent): boolean {
    if (this.agents.get(agent.id) === agent) {
      this.agents.delete(agent.id);
      return true;
    }
    return false;
  }

  get(id: string): ConnectedAgent | undefined {
    return this.agents.get(id);
  }

  all(): ConnectedAgent[] {
    return [...this.agents.values()];
  }

  idle(): ConnectedAgent[] {
    return this.all().filter((a) => a.runningTaskId === undefined);
  }
}

/** '1.22' matches 1.22.x, '1.22.0' only itself; '' is the agent's default runtime. */
export function runtimeMatches(spec: string, version: string): boolean {
  return spec === '' || version === spec || version.startsWith(`${spec}.`);
}

/** The runtime an agent would load for a spec: the newest matching one, or its default for ''. */
export function agentRuntime(
  agent: Pick<ConnectedAgent, 'runtimes' | 'executionProviders'>,
  spec: string,
): Runtime | undefined {
  if (spec === '') {
    return (
      agent.runtimes.find((r) => r.isDefault) ?? {
        version: '',
        packageName: '',
        isDefault: true,
        executionProviders: agent.executionProviders,
      }
    );
  }
  return agent.runtimes
    .filter((r) => runtimeMatches(spec, r.version))
    .sort((a, b) => compareVersions(b.version, a.version))[0];
}

export function availableEps(
  agent: Pick<ConnectedAgent, 'runtimes' | 'executionProviders'>,
  runtimeSpec = '',
): string[] {
  const runtime = agentRuntime(agent, runtimeSpec);
  return (runtime?.executionProviders ?? []).filter((ep) => ep.available).map((ep) => ep.name);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}
