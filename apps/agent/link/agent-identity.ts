import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The agent id survives restarts (kept in the state folder), so results of one machine stay together. */
export function loadOrCreateAgentId(stateDir: string): string {
  const file = join(stateDir, 'agent-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[\w.-]{1,100}$/.test(id)) {
      return id;
    }
  } catch {
    // first start
  }
  mkdirSync(stateDir, { recursive: true });
  const id = `agent_${randomBytes(8).toString('hex')}`;
  writeFileSync(file, `${id}\n`);
  return id;
}
