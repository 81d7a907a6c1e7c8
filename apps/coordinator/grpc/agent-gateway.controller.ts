import { Controller } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { type Observable } from 'rxjs';
import {
  type AgentGatewayServiceController,
  AgentGatewayServiceControllerMethods,
  type ConnectRequest,
  type ConnectResponse,
  type EnrollRequest,
  type EnrollResponse,
  type FetchModelRequest,
  type FetchModelResponse,
} from '#contracts';
import { AgentGatewayService } from '../agents/agent-gateway.service.js';
import { AuthService } from '../auth/auth.service.js';
import { principalOf } from '../auth/principal.js';
import { mapRpcErrors } from './rpc-stream.util.js';
import { type DrainableCall } from './paced-stream.util.js';
import { StreamPacingService } from './stream-pacing.service.js';

@Controller()
@AgentGatewayServiceControllerMethods()
export class AgentGatewayController implements AgentGatewayServiceController {
  constructor(
    private readonly gateway: AgentGatewayService,
    private readonly auth: AuthService,
    private readonly pacing: StreamPacingService,
  ) {}

  /** NestJS passes the grpc-js call third; it tells whether the agent keeps up (see StreamPacingService). */
  connect(
    request: Observable<ConnectRequest>,
    metadata?: Metadata,
    call?: DrainableCall,
  ): Observable<ConnectResponse> {
    return mapRpcErrors(this.pacing.agentConnect(this.gateway.connect(request, principalOf(metadata)), call));
  }

  fetchModel(request: FetchModelRequest): Observable<FetchModelResponse> {
    return mapRpcErrors(this.gateway.fetch(request.sha256));
  }

  enroll(request: EnrollRequest): Promise<EnrollResponse> {
    return this.auth.enroll(request);
  }
}
