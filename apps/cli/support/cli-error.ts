import { status } from '@grpc/grpc-js';
import { DomainError, errorMessage } from '#common';

export const EXIT = { ok: 0, taskFailed: 1, usage: 2 } as const;

/** An error that ends the command with one line on stderr and this exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

const STATUS_NAMES = Object.fromEntries(Object.entries(status).map(([name, code]) => [code, name]));

function isGrpcError(error: unknown): error is { code: number; details: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'number' &&
    'details' in error
  );
}

/** One line for any error: gRPC status name and message, or what the CLI itself found wrong. */
export function describeError(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CliError) {
    return { line: error.message, exitCode: error.exitCode };
  }
  if (error instanceof DomainError) {
    return { line: error.message, exitCode: EXIT.usage };
  }
  if (isGrpcError(error)) {
    const name = STATUS_NAMES[error.code] ?? String(error.code);
    const hint =
      error.code === Number(status.UNAVAILABLE) ? ' (is the coordinator running at that address?)' : '';
    return { line: `${name}: ${error.details}${hint}`, exitCode: EXIT.usage };
  }
  return { line: errorMessage(error).split('\n')[0] ?? 'unknown error', exitCode: EXIT.usage };
}
