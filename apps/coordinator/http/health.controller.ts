import { Controller, Get } from '@nestjs/common';
import { AgentRegistry } from '../agents/agent-registry.service.js';

@Controller()
export class HealthController {
  constructor(private readonly registry: AgentRegistry) {}

  @Get('healthz')
  health(): { status: 'ok'; agentsConnected: number } {
    return { status: 'ok', agentsConnected: this.registry.all().length };
  }
}
