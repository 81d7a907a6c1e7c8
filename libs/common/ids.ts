import { randomBytes } from 'node:crypto';

// Sortable by creation time (base36 millis first), unique enough for a farm: 10 random bytes after it.
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
}
