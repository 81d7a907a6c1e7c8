import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { type ClientTlsFiles, type GrpcClient, createGrpcClient } from '#contracts';
import { CliError } from './cli-error.js';

/** What every command that talks to a coordinator accepts besides --coordinator. */
export interface ConnectionOptions {
  coordinator: string;
  token?: string;
  tokenFile?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The TLS flags, shared by client commands and `mlfarm agent`. */
export function addTlsOptions(command: Command): Command {
  return command
    .addOption(new Option('--tls', 'TLS to the coordinator with the system CAs (env MLFARM_TLS=1)'))
    .addOption(new Option('--tls-ca <file>', 'CA that signed the coordinator (PEM; env MLFARM_TLS_CA_FILE)'))
    .addOption(
      new Option('--tls-cert <file>', 'client certificate for mutual TLS (env MLFARM_TLS_CLIENT_CERT_FILE)'),
    )
    .addOption(new Option('--tls-key <file>', 'its private key (env MLFARM_TLS_CLIENT_KEY_FILE)'));
}

/**
 * Adds --token/--token-file and the TLS flags to every command that dials a coordinator (the ones with
 * --coordinator), so a new client command gets them without remembering to. `agent` authenticates with
 * its own credential and only takes the TLS flags (serve.command.ts).
 */
export function addConnectionOptions(program: Command): void {
  for (const command of program.commands) {
    addConnectionOptions(command);
    if (command.name() === 'agent' || !command.options.some((o) => o.long === '--coordinator')) {
      continue;
    }
    command
      .addOption(
        new Option(
          '--token <token>',
          'API token (prefer env MLFARM_TOKEN: a flag shows in the process list)',
        ),
      )
      .addOption(new Option('--token-file <file>', 'read the API token from this file'));
    addTlsOptions(command);
  }
}

export function clientTls(
  options: Pick<ConnectionOptions, 'tls' | 'tlsCa' | 'tlsCert' | 'tlsKey'>,
  env: Record<string, string | undefined> = process.env,
): ClientTlsFiles | undefined {
  const caFile = options.tlsCa ?? (env.MLFARM_TLS_CA_FILE || undefined);
  const certFile = options.tlsCert ?? (env.MLFARM_TLS_CLIENT_CERT_FILE || undefined);
  const keyFile = options.tlsKey ?? (env.MLFARM_TLS_CLIENT_KEY_FILE || undefined);
  const wanted = options.tls === true || env.MLFARM_TLS === '1' || caFile || certFile || keyFile;
  if (!wanted) {
    return undefined;
  }
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new CliError('mutual TLS needs both --tls-cert and --tls-key');
  }
  return { caFile, certFile, keyFile };
}

function tokenOf(options: ConnectionOptions): string | undefined {
  if (options.token) {
    return options.token;
  }
  if (options.tokenFile) {
    try {
      return readFileSync(options.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new CliError(
        `cannot read the token file '${options.tokenFile}': ${(error as NodeJS.ErrnoException).code}`,
      );
    }
  }
  return process.env.MLFARM_TOKEN || undefined;
}

/** A client for the coordinator the options name, with their token and TLS settings. */
export function connect(options: ConnectionOptions): GrpcClient {
  return createGrpcClient(options.coordinator, { bearer: tokenOf(options), tls: clientTls(options) });
}
