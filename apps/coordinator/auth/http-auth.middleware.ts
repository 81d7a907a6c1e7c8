import { DomainError, DomainErrorCode } from '#common';
import type { AuthService } from './auth.service.js';
import { bearerOf } from './credential-format.js';
import { principalMay } from './principal.js';

interface HttpRequest {
  path?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

interface HttpResponse {
  statusCode: number;
  setHeader(name: string, value: string): void;
  end(body: string): void;
}

/** Paths anyone may fetch: liveness probes come from orchestrators that hold no token. */
const OPEN_PATHS = new Set(['/healthz']);

/**
 * With authentication on, every HTTP path but /healthz needs a token with the read scope
 * (`Authorization: Bearer ...`): /metrics names models and agents, /reports shows results. Applied to the
 * whole HTTP app, so a new route is closed until listed in OPEN_PATHS.
 */
export function httpAuthMiddleware(auth: AuthService) {
  return (req: HttpRequest, res: HttpResponse, next: () => void): void => {
    const path = req.path ?? (req.url ?? '/').split('?')[0]!;
    if (!auth.enabled || OPEN_PATHS.has(path)) {
      next();
      return;
    }
    const refuse = (status: number, message: string): void => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      if (status === 401) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="mlfarm"');
      }
      res.end(`${message}\n`);
    };
    auth.authenticate(bearerOf(req.headers.authorization)).then(
      (principal) =>
        principalMay(principal, 'read') ? next() : refuse(403, 'this needs a token with the read scope'),
      (error: unknown) =>
        error instanceof DomainError && error.code === DomainErrorCode.UNAUTHENTICATED
          ? refuse(401, error.message)
          : refuse(500, 'authentication failed'),
    );
  };
}
