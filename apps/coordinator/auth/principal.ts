import type { Metadata } from '@grpc/grpc-js';
import { type Permission, type Scope, scopeCovers } from './method-permissions.js';

/** Who is calling: known once the auth guard has checked the call's credential. */
export type Principal =
  /** Authentication is off (loopback only): every caller is the local user. */
  | { kind: 'local' }
  | { kind: 'token'; tokenId: string; name: string; scopes: Scope[] }
  | { kind: 'agent'; agentId: string }
  | { kind: 'enrollment' };

const LOCAL: Principal = { kind: 'local' };

// The guard sees the call's Metadata object and handlers receive the same object as their second
// argument, so it is the key that carries the principal from one to the other.
const principals = new WeakMap<Metadata, Principal>();

export function attachPrincipal(metadata: Metadata, principal: Principal): void {
  principals.set(metadata, principal);
}

export function principalOf(metadata: Metadata | undefined): Principal {
  return (metadata && principals.get(metadata)) ?? LOCAL;
}

/** The key limits are counted under: one per API token (or agent); 'local' without authentication. */
export function clientKeyOf(principal: Principal): string {
  switch (principal.kind) {
    case 'local':
      return 'local';
    case 'token':
      return `token:${principal.tokenId}`;
    case 'agent':
      return `agent:${principal.agentId}`;
    case 'enrollment':
      return 'enrollment';
  }
}

export function principalMay(principal: Principal, permission: Permission): boolean {
  switch (permission) {
    case 'agent':
      return principal.kind === 'agent';
    case 'enroll':
      return principal.kind === 'enrollment';
    case 'read':
    case 'submit':
    case 'admin':
      return principal.kind === 'token' && scopeCovers(principal.scopes, permission);
  }
}

export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case 'local':
      return 'local caller';
    case 'token':
      return `token '${principal.name}' (${principal.scopes.join(', ')})`;
    case 'agent':
      return `agent ${principal.agentId}`;
    case 'enrollment':
      return 'the enrollment token';
  }
}
