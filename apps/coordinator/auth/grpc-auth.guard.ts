import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { DomainError, DomainErrorCode } from '#common';
import { AuthService } from './auth.service.js';
import { bearerOf } from './credential-format.js';
import { permissionFor } from './method-permissions.js';
import { attachPrincipal, describePrincipal, principalMay } from './principal.js';

interface CallWithPath {
  getPath(): string;
}

/**
 * Every gRPC call, of all four kinds, passes here before its handler runs: NestJS calls guards before it
 * invokes the handler, and a client stream's messages wait in NestJS's buffer until then. So a refused
 * UploadModel never reaches the upload service and writes nothing.
 */
@Injectable()
export class GrpcAuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') {
      return true; // HTTP has its own check (http-auth.middleware.ts)
    }
    const metadata = context.getArgByIndex<Metadata | undefined>(1);
    if (!this.auth.enabled) {
      if (metadata) {
        attachPrincipal(metadata, { kind: 'local' });
      }
      return true;
    }
    const call = context.getArgByIndex<Partial<CallWithPath> | undefined>(2);
    const path = typeof call?.getPath === 'function' ? call.getPath() : undefined;
    if (!metadata || !path) {
      throw new DomainError(DomainErrorCode.UNAUTHENTICATED, 'the call carries no metadata');
    }
    const principal = await this.auth.authenticate(bearerOf(metadata.get('authorization')[0]));
    const permission = permissionFor(path);
    if (!principalMay(principal, permission)) {
      const method = path.slice(path.lastIndexOf('/') + 1);
      throw new DomainError(
        DomainErrorCode.PERMISSION_DENIED,
        `${describePrincipal(principal)} may not call ${method}: it needs ${permissionLabel(permission)}`,
      );
    }
    attachPrincipal(metadata, principal);
    return true;
  }
}

function permissionLabel(permission: ReturnType<typeof permissionFor>): string {
  switch (permission) {
    case 'agent':
      return 'an agent credential';
    case 'enroll':
      return 'the enrollment token';
    case 'read':
    case 'submit':
    case 'admin':
      return `a token with the ${permission} scope`;
  }
}
