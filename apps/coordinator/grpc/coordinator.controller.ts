import { Controller } from '@nestjs/common';
import { type Observable } from 'rxjs';
import {
  type CancelRunRequest,
  type CancelRunResponse,
  type CoordinatorServiceController,
  CoordinatorServiceControllerMethods,
  type GetRunRequest,
  type GetRunResponse,
  type ListAgentsResponse,
  type ListRunsRequest,
  type ListRunsResponse,
  type SubmitRunRequest,
  type SubmitRunResponse,
  type UploadModelRequest,
  type UploadModelResponse,
  type WatchRunRequest,
  type WatchRunResponse,
} from '#contracts';
import { AgentDirectoryService } from '../agents/agent-directory.service.js';
import { UploadService } from '../artifacts/upload.service.js';
import { RunService } from '../runs/run.service.js';
import { mapRpcErrors } from './rpc-stream.util.js';
import { type DrainableCall } from './paced-stream.util.js';
import { StreamPacingService } from './stream-pacing.service.js';

@Controller()
@CoordinatorServiceControllerMethods()
export class CoordinatorController implements CoordinatorServiceController {
  constructor(
    private readonly uploads: UploadService,
    private readonly runs: RunService,
    private readonly directory: AgentDirectoryService,
    private readonly pacing: StreamPacingService,
  ) {}

  uploadModel(request: Observable<UploadModelRequest>): Observable<UploadModelResponse> {
    return mapRpcErrors(this.uploads.receive(request));
  }

  async submitRun(request: SubmitRunRequest): Promise<SubmitRunResponse> {
    return { run: await this.runs.submit(request) };
  }

  getRun(request: GetRunRequest): Promise<GetRunResponse> {
    return this.runs.get(request.runId);
  }

  async listRuns(request: ListRunsRequest): Promise<ListRunsResponse> {
    return { runs: await this.runs.list(request.limit) };
  }

  /** NestJS passes the grpc-js call third; it tells whether the client keeps up (see StreamPacingService). */
  watchRun(
    request: WatchRunRequest,
    _metadata?: unknown,
    call?: DrainableCall,
  ): Observable<WatchRunResponse> {
    return mapRpcErrors(this.pacing.watchRun(this.runs.watch(request.runId), call));
  }

  cancelRun(request: CancelRunRequest): Promise<CancelRunResponse> {
    return this.runs.cancel(request.runId);
  }

  listAgents(): Promise<ListAgentsResponse> {
    return this.directory.list();
  }
}
