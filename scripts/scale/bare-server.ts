// The ceiling for bench-scale: AgentGatewayService.Connect on plain grpc-js with the same proto and loader
// options as the coordinator (so every request is fully decoded, as NestJS does), and nothing else: no
// NestJS, no store, no scheduler. It welcomes each agent with an assignment and answers each result with
// an ack and the next assignment at once. /metrics reports the samples it took in under the coordinator's
// metric name, so the benchmark reads both the same way.
// Run by bench-scale: node dist/scripts/scale/bare-server.js --grpc H:P --http H:P --model-sha256 S --model-size N
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { newId } from '#common';
import { GRPC_LOADER_OPTIONS, MAX_GRPC_MESSAGE_BYTES, PROTO_FILES, PROTO_ROOT } from './proto-paths.js';
import { assignmentTemplate } from './run-scenario.js';

const { values } = parseArgs({
  options: {
    grpc: { type: 'string', default: '127.0.0.1:0' },
    http: { type: 'string', default: '127.0.0.1:0' },
    'model-sha256': { type: 'string', default: '0'.repeat(64) },
    'model-size': { type: 'string', default: '0' },
  },
});

interface Request {
  hello?: { agentId: string };
  heartbeat?: unknown;
  started?: unknown;
  progress?: { taskId: string; phase: string; samplesMs: number[] };
  result?: { taskId: string; attempt: number; measurement?: { samplesMs: number[] } };
  failed?: { taskId: string; attempt: number };
}

const template = assignmentTemplate(values['model-sha256'], Number(values['model-size']));
let samplesIngested = 0;
let connected = 0;
let tasks = 0;

function connect(call: grpc.ServerDuplexStream<Request, object>): void {
  // Live samples of the task in hand: the result adds only those not seen live, as the coordinator does.
  let live = 0;
  const assign = (): void => {
    live = 0;
    tasks += 1;
    call.write({ assignment: { ...template, taskId: newId('task') } });
  };
  let welcomed = false;
  call.on('data', (message: Request) => {
    if (message.hello) {
      if (!welcomed) {
        welcomed = true;
        connected += 1;
        call.write({ welcome: { heartbeatIntervalMs: 5000, leaseMs: 30000 } });
        assign();
      }
    } else if (message.progress) {
      if (message.progress.phase === 'measure') {
        live += message.progress.samplesMs.length;
        samplesIngested += message.progress.samplesMs.length;
      }
    } else if (message.result) {
      samplesIngested += Math.max(0, (message.result.measurement?.samplesMs.length ?? 0) - live);
      call.write({ ack: { taskId: message.result.taskId, attempt: message.result.attempt } });
      assign();
    } else if (message.failed) {
      call.write({ ack: { taskId: message.failed.taskId, attempt: message.failed.attempt } });
      assign();
    }
  });
  const end = (): void => {
    if (welcomed) {
      welcomed = false;
      connected -= 1;
    }
  };
  call.on('end', () => {
    end();
    call.end();
  });
  call.on('error', end);
  call.on('cancelled', end);
}

const definition = loadSync(PROTO_FILES, { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
const pkg = grpc.loadPackageDefinition(definition) as unknown as {
  mlfarm: { v1: { AgentGatewayService: { service: grpc.ServiceDefinition } } };
};
const server = new grpc.Server({
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
});
const unimplemented = (_call: unknown, callback?: grpc.sendUnaryData<unknown>): void =>
  callback?.({ code: grpc.status.UNIMPLEMENTED, details: 'bare server: Connect only' }, null);
server.addService(pkg.mlfarm.v1.AgentGatewayService.service, {
  connect,
  fetchModel: unimplemented,
  enroll: unimplemented,
});

const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync(values.grpc, grpc.ServerCredentials.createInsecure(), (error, port) =>
    error ? reject(error) : resolve(port),
  ),
);
const http = createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4');
  res.end(
    `mlfarm_inference_latency_seconds_count ${samplesIngested}\n` +
      `mlfarm_agents_connected ${connected}\n` +
      `mlfarm_bare_assignments_total ${tasks}\n`,
  );
});
const [httpHost, httpPortText] = values.http.split(':');
await new Promise<void>((resolve) => http.listen(Number(httpPortText), httpHost, resolve));
const httpPort = (http.address() as { port: number }).port;
const host = values.grpc.split(':')[0]!;
process.stdout.write(`bare: gRPC ${host}:${grpcPort}, HTTP ${httpHost}:${httpPort}\n`);

const stop = (): void => {
  http.close();
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
