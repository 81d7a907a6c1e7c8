import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';
import type { AgentCredentialTable, ApiTokenTable } from './database.types.js';

/** API tokens and agent credentials; secrets are never stored, only their sha256. */
@Injectable()
export class CredentialRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  findToken(id: string): Promise<ApiTokenTable | undefined> {
    return this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listTokens(): Promise<ApiTokenTable[]> {
    return this.db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async insertToken(row: ApiTokenTable): Promise<void> {
    await this.db.insertInto('api_tokens').values(row).execute();
  }

  /** The bootstrap admin token: inserted once, its hash replaced when the file's token changed. */
  async upsertTokenSecret(row: ApiTokenTable): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ secret_sha256: row.secret_sha256 }))
      .execute();
  }

  async revokeToken(id: string, now: number): Promise<ApiTokenTable | undefined> {
    await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.findToken(id);
  }

  findAgentCredential(agentId: string): Promise<AgentCredentialTable | undefined> {
    return this.db
      .selectFrom('agent_credentials')
      .selectAll()
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
  }

  /** A new credential for an agent id that has none, or whose credential was revoked. */
  async putAgentCredential(row: AgentCredentialTable): Promise<void> {
    await this.db
      .insertInto('agent_credentials')
      .values(row)
      .onConflict((oc) =>
        oc.column('agent_id').doUpdateSet({
          secret_sha256: row.secret_sha256,
          created_at: row.created_at,
          revoked_at: null,
        }),
      )
      .execute();
  }

  async revokeAgentCredential(agentId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('agent_credentials')
      .set({ revoked_at: now })
      .where('agent_id', '=', agentId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
