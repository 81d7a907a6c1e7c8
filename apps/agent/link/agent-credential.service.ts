import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import type { GrpcClient } from '#contracts';
import { AGENT_CONFIG, type AgentConfig } from '../config/agent.config.js';

/**
 * The agent's own credential (mla_<agent id>_<secret>), kept in its state folder with mode 0600 next to
 * its id. Until it has one it presents the enrollment token, and only to Enroll. The secret is never
 * logged.
 */
@Injectable()
export class AgentCredentialService {
  private readonly logger = new Logger(AgentCredentialService.name);
  private readonly file: string;
  private credential?: string;

  constructor(@Inject(AGENT_CONFIG) private readonly config: AgentConfig) {
    this.file = join(config.stateDir, 'agent.credential');
    try {
      this.credential = readFileSync(this.file, 'utf8').trim() || undefined;
    } catch {
      // not enrolled yet
    }
  }

  /** What goes into `authorization: Bearer ...` now. */
  bearer(): string | undefined {
    return this.credential ?? this.config.enrollmentToken;
  }

  needsEnrollment(): boolean {
    return this.credential === undefined && this.config.enrollmentToken !== undefined;
  }

  async enroll(client: GrpcClient, agentId: string, name: string): Promise<void> {
    const response = await lastValueFrom(client.gateway.enroll({ agentId, name }));
    mkdirSync(this.config.stateDir, { recursive: true });
    writeFileSync(this.file, `${response.credential}\n`, { mode: 0o600 });
    this.credential = response.credential;
    this.logger.log(`enrolled as ${agentId}; credential kept in ${this.file}`);
  }
}
