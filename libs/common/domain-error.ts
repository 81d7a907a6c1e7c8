// Errors that mean something to a caller carry one of these codes; each transport (gRPC status, CLI exit
// code) maps them in one exhaustive switch. Anything else is an internal error and is never leaked.
export enum DomainErrorCode {
  INVALID_MODEL = 'INVALID_MODEL',
  INVALID_REQUEST = 'INVALID_REQUEST',
  NOT_FOUND = 'NOT_FOUND',
  NO_MATCHING_AGENT = 'NO_MATCHING_AGENT',
  RUN_FINISHED = 'RUN_FINISHED',
  TOO_LARGE = 'TOO_LARGE',
  /** A quota or bound was hit (runs per client, concurrent streams, a slow consumer). */
  RESOURCE_EXHAUSTED = 'RESOURCE_EXHAUSTED',
  /** No credential, or one that does not verify. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** A valid credential whose scopes do not allow the call. */
  PERMISSION_DENIED = 'PERMISSION_DENIED',
  /** The request is valid but the state it needs is missing (for example no baseline for this machine). */
  FAILED_PRECONDITION = 'FAILED_PRECONDITION',
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
