import { Inject, Injectable } from '@nestjs/common';
import type { ModelFacts } from '#contracts';
import { DATABASE } from './database.tokens.js';
import type { Db } from './database.js';

export interface ArtifactRecord {
  sha256: string;
  name: string;
  kind: 'model' | 'tensor';
  sizeBytes: number;
  facts?: ModelFacts;
  createdAt: number;
}

@Injectable()
export class ArtifactRepository {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  /** Inserts once; a second upload of the same bytes keeps the first record. Returns true when new. */
  async insertIfAbsent(record: ArtifactRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('artifacts')
      .values({
        sha256: record.sha256,
        name: record.name,
        kind: record.kind,
        size_bytes: record.sizeBytes,
        facts_json: record.facts ? JSON.stringify(record.facts) : null,
        created_at: record.createdAt,
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async find(sha256: string): Promise<ArtifactRecord | undefined> {
    const row = await this.db
      .selectFrom('artifacts')
      .selectAll()
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (!row) {
      return undefined;
    }
    return {
      sha256: row.sha256,
      name: row.name,
      kind: row.kind === 'tensor' ? 'tensor' : 'model',
      sizeBytes: Number(row.size_bytes),
      facts: row.facts_json ? (JSON.parse(row.facts_json) as ModelFacts) : undefined,
      createdAt: Number(row.created_at),
    };
  }
}
