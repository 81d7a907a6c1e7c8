import { Controller } from '@nestjs/common';
import { type Observable } from 'rxjs';
import {
  type AgentGatewayServiceController,
  AgentGatewayServiceControllerMethods,
  type ConnectRequest,
  type ConnectResponse,
  type FetchModelRequest,
  type FetchModelResponse,
} from '#contracts';
import { AgentGatewayService } from '../agents/agent-gateway.service.js';
import { mapRpcErrors } from './rpc-stream.util.js';

@Controller()
@AgentGatewayServiceControllerMethods()
export class AgentGatewayController implements AgentGatewayServiceController {
  constructor(private readonly gateway: AgentGatewayService) {}

  connect(request: Observable<ConnectRequest>): Observable<ConnectResponse> {
    return mapRpcErrors(this.gateway.connect(request));
  }

  fetchModel(request: FetchModelRequest): Observable<FetchModelResponse> {
    return mapRpcErrors(this.gateway.fetch(request.sha256));
  }
}
