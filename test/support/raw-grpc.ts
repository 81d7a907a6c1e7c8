import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, MAX_GRPC_MESSAGE_BYTES, PROTO_FILES, PROTO_ROOT } from '#contracts';

/**
 * Plain grpc-js clients of the coordinator (no NestJS, no rxjs): what a test needs to pause a stream
 * (a stalled watcher), to speak the agent protocol itself (a flooding agent), or to send raw bytes.
 */
export interface RawClients {
  coordinator: grpc.Client &
    Record<string, (...args: unknown[]) => unknown> & {
      watchRun(request: object): unknown;
      connect(): unknown;
    };
  gateway: grpc.Client &
    Record<string, (...args: unknown[]) => unknown> & {
      watchRun(request: object): unknown;
      connect(): unknown;
    };
  close(): void;
}

type ServiceCtor = new (
  address: string,
  creds: grpc.ChannelCredentials,
  options?: object,
) => RawClients['gateway'];

export function rawClients(address: string): RawClients {
  const definition = loadSync(PROTO_FILES, { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    mlfarm: { v1: { CoordinatorService: ServiceCtor; AgentGatewayService: ServiceCtor } };
  };
  const options = {
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  };
  const creds = grpc.credentials.createInsecure();
  const coordinator = new pkg.mlfarm.v1.CoordinatorService(address, creds, options);
  const gateway = new pkg.mlfarm.v1.AgentGatewayService(address, creds, options);
  return {
    coordinator,
    gateway,
    close: () => {
      coordinator.close();
      gateway.close();
    },
  };
}

export interface WatchOutcome {
  events: number;
  /** gRPC status code the stream ended with (0 = OK). */
  code: number;
  details: string;
}

/** A WatchRun stream that reads nothing until resume(): its HTTP/2 window fills and the server must cope. */
export function stalledWatcher(
  clients: RawClients,
  runId: string,
): { resume(): Promise<WatchOutcome>; cancel(): void } {
  const call = clients.coordinator.watchRun({ runId }) as grpc.ClientReadableStream<unknown>;
  let events = 0;
  call.on('data', () => (events += 1));
  call.pause();
  const ended = new Promise<WatchOutcome>((resolve) => {
    call.on('error', (error: grpc.ServiceError) =>
      resolve({ events, code: error.code, details: error.details }),
    );
    call.on('end', () => resolve({ events, code: 0, details: '' }));
  });
  return {
    resume: () => {
      call.resume();
      return ended;
    },
    cancel: () => call.cancel(),
  };
}

/** A WatchRun stream that reads as fast as it can. */
export function liveWatcher(clients: RawClients, runId: string): Promise<WatchOutcome> {
  const call = clients.coordinator.watchRun({ runId }) as grpc.ClientReadableStream<unknown>;
  let events = 0;
  call.on('data', () => (events += 1));
  return new Promise((resolve) => {
    call.on('error', (error: grpc.ServiceError) =>
      resolve({ events, code: error.code, details: error.details }),
    );
    call.on('end', () => resolve({ events, code: 0, details: '' }));
  });
}
