import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Every secret is 32 random bytes as hex; only its sha256 is stored. The prefix says what a string is,
// so a leaked one is recognisable (and greppable by secret scanners).
const SECRET_HEX = 64;
const API_TOKEN = /^mlf_([0-9a-z]{1,32})_([0-9a-f]{64})$/;
const AGENT_CREDENTIAL = /^mla_([\w.-]{1,100})_([0-9a-f]{64})$/;
const ENROLLMENT_TOKEN = /^mle_([0-9a-f]{64})$/;

export function newSecret(): string {
  return randomBytes(SECRET_HEX / 2).toString('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored sha256 (hashing first evens the lengths). */
export function secretMatches(secret: string, storedSha256: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedSha256, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

export function formatApiToken(id: string, secret: string): string {
  return `mlf_${id}_${secret}`;
}

export function parseApiToken(text: string): { id: string; secret: string } | undefined {
  const match = API_TOKEN.exec(text);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function formatAgentCredential(agentId: string, secret: string): string {
  return `mla_${agentId}_${secret}`;
}

export function parseAgentCredential(text: string): { agentId: string; secret: string } | undefined {
  const match = AGENT_CREDENTIAL.exec(text);
  return match ? { agentId: match[1]!, secret: match[2]! } : undefined;
}

export function formatEnrollmentToken(secret: string): string {
  return `mle_${secret}`;
}

export function isEnrollmentToken(text: string): boolean {
  return ENROLLMENT_TOKEN.test(text);
}

/** `authorization: Bearer <token>` -> the token; anything else -> undefined. */
export function bearerOf(header: unknown): string | undefined {
  if (typeof header !== 'string') {
    return undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
