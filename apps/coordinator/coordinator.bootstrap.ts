import 'reflect-metadata';
import { type Server } from 'node:http';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { type INestApplication, Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { grpcOptions } from '#contracts';
import { AuthService } from './auth/auth.service.js';
import { httpAuthMiddleware } from './auth/http-auth.middleware.js';
import { type CoordinatorConfig, type ServerTlsConfig, isLoopback } from './config/coordinator.config.js';
import { CoordinatorModule } from './coordinator.module.js';
import {
  markUndecodableRequests,
  rejectUndecodableRequests,
} from './grpc/undecodable-request.interceptor.js';
import { isPostgresUrl } from './store/database.js';
import { turnOffPretenuring } from './v8-tuning.js';

export interface CoordinatorHandle {
  grpcAddress: string;
  httpAddress: string;
  config: CoordinatorConfig;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/** Coordinator as a hybrid app: gRPC for agents and clients, HTTP for /healthz (and later /metrics, /reports). */
export async function startCoordinator(
  config: CoordinatorConfig,
  options: StartOptions = {},
): Promise<CoordinatorHandle> {
  if (!isPostgresUrl(config.databaseUrl)) {
    // SQLite only: measured there (v8-tuning.ts). On PostgreSQL results wait longer for their commit and
    // the same A/B leaned the other way (p99 median ~930 ms without pretenuring, ~400 with, 6 passes each).
    turnOffPretenuring();
  }
  // NestJS cannot report a gRPC port bound as :0, so a free one is picked first.
  const grpcPort = config.grpcPort === 0 ? await freePort(config.grpcHost) : config.grpcPort;
  const resolved = { ...config, grpcPort };
  const app: INestApplication = await NestFactory.create(CoordinatorModule.forRoot(resolved), {
    logger: options.logger ?? ['log', 'warn', 'error'],
    abortOnError: false,
  });
  const grpcAddress = `${formatHost(config.grpcHost)}:${grpcPort}`;
  app.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.GRPC,
      options: {
        ...grpcOptions(grpcAddress, {
          credentials: config.tls ? serverCredentials(config.tls) : undefined,
          maxMessageBytes: config.maxMessageBytes,
        }),
        onLoadPackageDefinition: markUndecodableRequests,
        // grpc-js reads server interceptors from the options NestJS builds its Server with.
        channelOptions: { interceptors: [rejectUndecodableRequests] },
      },
    },
    { inheritAppConfig: true },
  );
  app.use(httpAuthMiddleware(app.get(AuthService)));
  if (config.auth.enabled && !config.tls && !isLoopback(config.grpcHost)) {
    new Logger('Security').warn(
      `gRPC on ${config.grpcHost} without TLS: tokens cross the network in plaintext (set --tls-cert/--tls-key)`,
    );
  }
  await app.startAllMicroservices();
  await app.listen(config.httpPort, config.httpHost);
  const address = (app.getHttpServer() as Server).address() as { port: number };
  return {
    grpcAddress,
    httpAddress: `${formatHost(config.httpHost)}:${address.port}`,
    config: resolved,
    close: () => app.close(),
  };
}

/** TLS for the gRPC listener; with a client CA, mutual TLS: a client without a certificate from it is refused. */
function serverCredentials(tls: ServerTlsConfig): ServerCredentials {
  const clientCa = tls.clientCaFile ? readFileSync(tls.clientCaFile) : null;
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
    clientCa !== null,
  );
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
