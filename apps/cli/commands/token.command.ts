import { type Command } from 'commander';
import { lastValueFrom } from 'rxjs';
import type { ApiToken, GrpcClient } from '#contracts';
import { renderTable } from '../output/table.js';
import { EXIT } from '../support/cli-error.js';
import { type ConnectionOptions, connect } from '../support/connection-options.js';
import { collectString } from '../support/option-parsers.js';

const DEFAULT_COORDINATOR = process.env.MLFARM_COORDINATOR ?? '127.0.0.1:50051';

async function withAdmin(
  options: ConnectionOptions,
  work: (client: GrpcClient) => Promise<void>,
): Promise<void> {
  const client = connect(options);
  try {
    await work(client);
    process.exitCode = EXIT.ok;
  } finally {
    client.close();
  }
}

/** `mlfarm token create|list|revoke|revoke-agent`: needs a token with the admin scope. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('manage API tokens and agent credentials (admin scope)');
  token
    .command('create')
    .description('create an API token; its secret is printed once, on stdout')
    .requiredOption('--name <name>', 'what the token is for, e.g. ci')
    .option('--scope <scope>', 'read, submit or admin (repeatable; submit includes read)', collectString)
    .option('-c, --coordinator <host:port>', 'coordinator gRPC address', DEFAULT_COORDINATOR)
    .action((options: ConnectionOptions & { name: string; scope?: string[] }) =>
      withAdmin(options, async (client) => {
        const created = await lastValueFrom(
          client.coordinator.createToken({ name: options.name, scopes: options.scope ?? ['read'] }),
        );
        process.stderr.write(
          `token ${created.token!.id} '${created.token!.name}' (${created.token!.scopes.join(', ')}); ` +
            'store the secret now, it is not shown again:\n',
        );
        process.stdout.write(`${created.secret}\n`);
      }),
    );
  token
    .command('list')
    .description('list API tokens (never their secrets)')
    .option('-c, --coordinator <host:port>', 'coordinator gRPC address', DEFAULT_COORDINATOR)
    .action((options: ConnectionOptions) =>
      withAdmin(options, async (client) => {
        const { tokens } = await lastValueFrom(client.coordinator.listTokens({}));
        process.stdout.write(`${renderTokens(tokens)}\n`);
      }),
    );
  token
    .command('revoke')
    .description('revoke an API token by id')
    .argument('<id>', 'token id (the part after mlf_)')
    .option('-c, --coordinator <host:port>', 'coordinator gRPC address', DEFAULT_COORDINATOR)
    .action((id: string, options: ConnectionOptions) =>
      withAdmin(options, async (client) => {
        const revoked = await lastValueFrom(client.coordinator.revokeToken({ id }));
        process.stdout.write(`token ${revoked.token!.id} '${revoked.token!.name}' revoked\n`);
      }),
    );
  token
    .command('revoke-agent')
    .description("revoke an agent's credential; it must enroll again (delete its agent.credential first)")
    .argument('<agent-id>', 'agent id')
    .option('-c, --coordinator <host:port>', 'coordinator gRPC address', DEFAULT_COORDINATOR)
    .action((agentId: string, options: ConnectionOptions) =>
      withAdmin(options, async (client) => {
        const { revoked } = await lastValueFrom(client.coordinator.revokeAgent({ agentId }));
        process.stdout.write(
          revoked ? `agent ${agentId} revoked\n` : `agent ${agentId} held no valid credential\n`,
        );
      }),
    );
}

function renderTokens(tokens: ApiToken[]): string {
  return renderTable(
    ['id', 'name', 'scopes', 'created', 'state'],
    tokens.map((t) => [
      t.id,
      t.name,
      t.scopes.join(','),
      new Date(Number(t.createdAtMs)).toISOString(),
      t.revoked ? 'revoked' : 'active',
    ]),
  );
}
