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
  type AcceptBaselineRequest,
  type AcceptBaselineResponse,
  type GetSeriesRequest,
  type GetSeriesResponse,
  type GetVerdictRequest,
  type GetVerdictResponse,
  type ListBaselinesRequest,
  type ListBaselinesResponse,
  type ListRegressionsRequest,
  type ListRegressionsResponse,
  type RunSuiteRequest,
  type RunSuiteResponse,
  type SubmitGateRequest,
  type SubmitGateResponse,
  type UpdateRegressionRequest,
  type UpdateRegressionResponse,
} from '#contracts';
import { DomainError, DomainErrorCode } from '#common';
import { AgentDirectoryService } from '../agents/agent-directory.service.js';
import { UploadService } from '../artifacts/upload.service.js';
import { AuthService } from '../auth/auth.service.js';
import { ClientLimitsService } from '../auth/client-limits.service.js';
import { principalOf } from '../auth/principal.js';
import { RunService } from '../runs/run.service.js';
import { SeriesRepository } from '../store/series.repository.js';
import { GateService } from '../suites/gate.service.js';
import { RegressionService } from '../suites/regression.service.js';
import { SuiteRunsService } from '../suites/suite-runs.service.js';
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
    private readonly suites: SuiteRunsService,
    private readonly gates: GateService,
    private readonly regressions: RegressionService,
    private readonly series: SeriesRepository,
    private readonly auth: AuthService,
    private readonly limits: ClientLimitsService,
    private readonly pacing: StreamPacingService,
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

  async runSuite(request: RunSuiteRequest, metadata?: Metadata): Promise<RunSuiteResponse> {
    return {
      run: await this.limits.submitRun(principalOf(metadata), (by) => this.suites.runSuite(request, by)),
    };
  }

  async submitGate(request: SubmitGateRequest, metadata?: Metadata): Promise<SubmitGateResponse> {
    return {
      run: await this.limits.submitRun(principalOf(metadata), (by) => this.suites.submitGate(request, by)),
    };
  }

  async getVerdict(request: GetVerdictRequest): Promise<GetVerdictResponse> {
    return { verdict: await this.gates.get(request.runId) };
  }

  async listRegressions(request: ListRegressionsRequest): Promise<ListRegressionsResponse> {
    return { regressions: await this.regressions.list(request.suite, request.includeClosed, request.limit) };
  }

  async acceptBaseline(request: AcceptBaselineRequest): Promise<AcceptBaselineResponse> {
    return { entries: await this.suites.acceptBaseline(request.runId, request.name) };
  }

  async listBaselines(request: ListBaselinesRequest): Promise<ListBaselinesResponse> {
    return { entries: await this.suites.listBaselines(request.suite) };
  }

  async updateRegression(request: UpdateRegressionRequest): Promise<UpdateRegressionResponse> {
    return { regression: await this.regressions.update(request) };
  }

  async getSeries(request: GetSeriesRequest): Promise<GetSeriesResponse> {
    if (!request.suite) {
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'suite is required');
    }
    return { series: await this.series.list(request, 200) };
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
