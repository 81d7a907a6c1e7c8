import { ClientGrpcProxy } from '@nestjs/microservices';
import {
  AGENT_GATEWAY_SERVICE_NAME,
  type AgentGatewayServiceClient,
} from './generated/mlfarm/v1/agent_gateway_service.js';
import {
  COORDINATOR_SERVICE_NAME,
  type CoordinatorServiceClient,
} from './generated/mlfarm/v1/coordinator_service.js';
import { grpcOptions } from './grpc-options.js';

export interface GrpcClient {
  coordinator: CoordinatorServiceClient;
  gateway: AgentGatewayServiceClient;
  close(): void;
}

// One channel for both services; the typed interfaces are the ts-proto ones, so client and server
// share a single set of message types.
export function createGrpcClient(address: string): GrpcClient {
  const proxy = new ClientGrpcProxy(grpcOptions(address));
  return {
    coordinator: proxy.getService<CoordinatorServiceClient>(COORDINATOR_SERVICE_NAME),
    gateway: proxy.getService<AgentGatewayServiceClient>(AGENT_GATEWAY_SERVICE_NAME),
    close: () => proxy.close(),
  };
}
