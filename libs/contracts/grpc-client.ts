import { readFileSync } from 'node:fs';
import { type Interceptor, InterceptingCall, type Metadata, credentials } from '@grpc/grpc-js';
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

/** PEM files for a TLS channel: the CA that signed the coordinator, and this client's own pair for mTLS. */
export interface ClientTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface GrpcClientOptions {
  /** Sent as `authorization: Bearer ...` on every call; read per call so a credential can change. */
  bearer?: string | (() => string | undefined);
  /** TLS when set (system roots when caFile is absent); plaintext otherwise. */
  tls?: ClientTlsFiles;
  maxMessageBytes?: number;
}

// One channel for both services; the typed interfaces are the ts-proto ones, so client and server
// share a single set of message types.
export function createGrpcClient(address: string, options: GrpcClientOptions = {}): GrpcClient {
  const channelOptions: Record<string, unknown> = {};
  if (options.bearer !== undefined) {
    channelOptions.interceptors = [bearerInterceptor(options.bearer)];
  }
  const proxy = new ClientGrpcProxy(
    grpcOptions(address, {
      credentials: options.tls ? channelCredentials(options.tls) : undefined,
      channelOptions,
      maxMessageBytes: options.maxMessageBytes,
    }),
  );
  return {
    coordinator: proxy.getService<CoordinatorServiceClient>(COORDINATOR_SERVICE_NAME),
    gateway: proxy.getService<AgentGatewayServiceClient>(AGENT_GATEWAY_SERVICE_NAME),
    close: () => proxy.close(),
  };
}

function channelCredentials(tls: ClientTlsFiles) {
  const read = (file: string | undefined): Buffer | null => (file ? readFileSync(file) : null);
  return credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

// A grpc-js client interceptor rather than call credentials: call credentials are refused on a plaintext
// channel, and the loopback default is plaintext.
function bearerInterceptor(bearer: string | (() => string | undefined)): Interceptor {
  return (callOptions, nextCall) =>
    new InterceptingCall(nextCall(callOptions), {
      start: (metadata: Metadata, listener, next) => {
        const token = typeof bearer === 'function' ? bearer() : bearer;
        if (token) {
          metadata.set('authorization', `Bearer ${token}`);
        }
        next(metadata, listener);
      },
    });
}
