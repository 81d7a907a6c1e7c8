import { Injectable } from '@nestjs/common';
import type { ConnectResponse, ExecutionProvider, Fingerprint, Label } from '#contracts';

export interface ConnectedAgent {
  id: string;
  name: string;
  labels: Label[];
  fingerprint: Fingerprint;
  executionProviders: ExecutionProvider[];
  /** One task at a time: two benchmarks on one machine would measure each other. */
  runningTaskId?: string;
  send(message: ConnectResponse): void;
  /** Ends the stream, e.g. when the same agent id connects again. */
  close(): void;
}

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

export function availableEps(agent: { executionProviders: ExecutionProvider[] }): string[] {
  return agent.executionProviders.filter((ep) => ep.available).map((ep) => ep.name);
}
