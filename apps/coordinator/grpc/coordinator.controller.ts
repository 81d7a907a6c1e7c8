import { Controller } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { type Observable } from 'rxjs';
import {
  type CancelRunRequest,
  type CancelRunResponse,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type ListTokensResponse,
  type RevokeAgentRequest,
  type RevokeAgentResponse,
  type RevokeTokenRequest,
  type RevokeTokenResponse,
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
import { AuthService } from '../auth/auth.service.js';
import { ClientLimitsService } from '../auth/client-limits.service.js';
import { principalOf } from '../auth/principal.js';
import { RunService } from '../runs/run.service.js';
import { mapRpcErrors } from './rpc-stream.util.js';

@Controller()
@CoordinatorServiceControllerMethods()
export class CoordinatorController implements CoordinatorServiceController {
  constructor(
    private readonly uploads: UploadService,
    private readonly runs: RunService,
    private readonly directory: AgentDirectoryService,
    private readonly auth: AuthService,
    private readonly limits: ClientLimitsService,
  ) {}

  uploadModel(request: Observable<UploadModelRequest>): Observable<UploadModelResponse> {
    return mapRpcErrors(this.uploads.receive(request));
  }

  async submitRun(request: SubmitRunRequest, metadata?: Metadata): Promise<SubmitRunResponse> {
    return { run: await this.limits.submitRun(principalOf(metadata), (by) => this.runs.submit(request, by)) };
  }

  getRun(request: GetRunRequest): Promise<GetRunResponse> {
    return this.runs.get(request.runId);
  }

  async listRuns(request: ListRunsRequest): Promise<ListRunsResponse> {
    return { runs: await this.runs.list(request.limit) };
  }

  watchRun(request: WatchRunRequest): Observable<WatchRunResponse> {
    return mapRpcErrors(this.runs.watch(request.runId));
  }

  cancelRun(request: CancelRunRequest): Promise<CancelRunResponse> {
    return this.runs.cancel(request.runId);
  }

  listAgents(): Promise<ListAgentsResponse> {
    return this.directory.list();
  }

  createToken(request: CreateTokenRequest): Promise<CreateTokenResponse> {
    return this.auth.createToken(request);
  }

  async listTokens(): Promise<ListTokensResponse> {
    return { tokens: await this.auth.listTokens() };
  }

  async revokeToken(request: RevokeTokenRequest): Promise<RevokeTokenResponse> {
    return { token: await this.auth.revokeToken(request.id) };
  }

  async revokeAgent(request: RevokeAgentRequest): Promise<RevokeAgentResponse> {
    return { revoked: await this.auth.revokeAgent(request.agentId) };
  }
}
