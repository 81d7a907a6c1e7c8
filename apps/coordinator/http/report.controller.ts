import { Controller, Get, Logger, Param, Res } from '@nestjs/common';
import { DomainError, DomainErrorCode, errorMessage } from '#common';
import { renderRunReport, toResultJson } from '#report';
import { AgentDirectoryService } from '../agents/agent-directory.service.js';
import { RunService } from '../runs/run.service.js';

/** The part of Express's response this controller uses (the project has no Express typings). */
interface HttpReply {
  status(code: number): HttpReply;
  type(contentType: string): HttpReply;
  set(field: string, value: string): HttpReply;
  send(body: string): void;
}

/** The HTML performance report of a run, the same page `mlfarm report` writes. */
@Controller('reports')
export class ReportController {
  private readonly logger = new Logger(ReportController.name);

  constructor(
    private readonly runs: RunService,
    private readonly agents: AgentDirectoryService,
  ) {}

  // Every reply is written here, errors included: the app-wide exception filter speaks gRPC, not HTTP.
  @Get(':runId')
  async report(@Param('runId') runId: string, @Res() reply: HttpReply): Promise<void> {
    reply.set('X-Content-Type-Options', 'nosniff');
    try {
      const run = await this.runs.get(runId);
      const { agents } = await this.agents.list();
      reply
        .status(200)
        .type('text/html; charset=utf-8')
        .send(renderRunReport(toResultJson(run, agents)));
    } catch (error) {
      if (error instanceof DomainError && error.code === DomainErrorCode.NOT_FOUND) {
        reply.status(404).type('text/plain; charset=utf-8').send(`${error.message}\n`);
        return;
      }
      this.logger.error(`report of run ${runId.slice(0, 80)}: ${errorMessage(error)}`);
      reply.status(500).type('text/plain; charset=utf-8').send('the report could not be rendered\n');
    }
  }
}
