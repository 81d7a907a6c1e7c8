import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ApiToken, CreateTokenRequest, EnrollRequest, EnrollResponse } from '#contracts';
import { DomainError, DomainErrorCode } from '#common';
import { COORDINATOR_CONFIG, ConfigError, type CoordinatorConfig } from '../config/coordinator.config.js';
import { CredentialRepository } from '../store/credential.repository.js';
import type { ApiTokenTable } from '../store/database.types.js';
import {
  formatAgentCredential,
  formatApiToken,
  formatEnrollmentToken,
  isEnrollmentToken,
  newSecret,
  parseAgentCredential,
  parseApiToken,
  secretMatches,
  sha256Hex,
} from './credential-format.js';
import { type Scope, isScope } from './method-permissions.js';
import type { Principal } from './principal.js';

const AGENT_ID = /^[\w.-]{1,100}$/;
const TOKEN_NAME = /^[\w .@+-]{1,100}$/;
const BOOTSTRAP_ADMIN_NAME = 'admin (bootstrap)';
const METRICS_TOKEN_NAME = 'metrics (read, from MLFARM_METRICS_TOKEN_FILE)';
// Compared against when a token id is unknown, so a miss costs what a hit costs.
const DUMMY_SHA256 = sha256Hex('mlfarm-no-such-token');

/**
 * Checks credentials and manages them. Secrets are produced here, handed out once and kept only as
 * sha256; no log line, error message or exception ever carries one (tests grep the logs for them).
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private enrollmentSha256?: string;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly credentials: CredentialRepository,
  ) {}

  get enabled(): boolean {
    return this.config.auth.enabled;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) {
      return;
    }
    const admin = readOrCreateSecretFile(this.config.auth.adminTokenFile, () =>
      formatApiToken('admin', newSecret()),
    );
    const parsed = parseApiToken(admin.value);
    if (!parsed) {
      throw new ConfigError(
        `the admin token in ${this.config.auth.adminTokenFile} is not mlf_<id>_<64 hex characters>`,
      );
    }
    await this.credentials.upsertTokenSecret({
      id: parsed.id,
      name: BOOTSTRAP_ADMIN_NAME,
      scopes: 'admin',
      secret_sha256: sha256Hex(parsed.secret),
      created_at: Date.now(),
      revoked_at: null,
    });
    const enrollment = readOrCreateSecretFile(this.config.auth.enrollmentTokenFile, () =>
      formatEnrollmentToken(newSecret()),
    );
    if (!isEnrollmentToken(enrollment.value)) {
      throw new ConfigError(
        `the enrollment token in ${this.config.auth.enrollmentTokenFile} is not mle_<64 hex characters>`,
      );
    }
    this.enrollmentSha256 = sha256Hex(enrollment.value);
    if (this.config.auth.metricsTokenFile) {
      await this.ensureMetricsToken(this.config.auth.metricsTokenFile);
    }
    this.logger.log(
      `authentication on: admin token ${admin.created ? 'written to' : 'read from'} ${this.config.auth.adminTokenFile}, ` +
        `enrollment token ${enrollment.created ? 'written to' : 'read from'} ${this.config.auth.enrollmentTokenFile}`,
    );
  }

  /**
   * A read-only token for Prometheus, kept in a file a deployment shares with it (compose volume, k8s
   * Secret): created at first start like the admin token, or registered from the file when it exists.
   */
  private async ensureMetricsToken(file: string): Promise<void> {
    const token = readOrCreateSecretFile(file, () =>
      formatApiToken(randomBytes(6).toString('hex'), newSecret()),
    );
    const parsed = parseApiToken(token.value);
    if (!parsed) {
      throw new ConfigError(`the metrics token in ${file} is not mlf_<id>_<64 hex characters>`);
    }
    await this.credentials.upsertTokenSecret({
      id: parsed.id,
      name: METRICS_TOKEN_NAME,
      scopes: 'read',
      secret_sha256: sha256Hex(parsed.secret),
      created_at: Date.now(),
      revoked_at: null,
    });
    this.logger.log(`metrics (read) token ${token.created ? 'written to' : 'read from'} ${file}`);
  }

  /** The principal a bearer token stands for; UNAUTHENTICATED when missing, unknown, revoked or forged. */
  async authenticate(bearer: string | undefined): Promise<Principal> {
    if (!bearer) {
      throw unauthenticated(
        'this coordinator requires a token: authorization: Bearer <token> (--token or MLFARM_TOKEN)',
      );
    }
    const token = parseApiToken(bearer);
    if (token) {
      const row = await this.credentials.findToken(token.id);
      const matches = secretMatches(token.secret, row?.secret_sha256 ?? DUMMY_SHA256);
      if (!row || !matches || row.revoked_at !== null) {
        throw unauthenticated('the API token is unknown, revoked or wrong');
      }
      return { kind: 'token', tokenId: row.id, name: row.name, scopes: scopesOf(row) };
    }
    const agent = parseAgentCredential(bearer);
    if (agent) {
      const row = await this.credentials.findAgentCredential(agent.agentId);
      const matches = secretMatches(agent.secret, row?.secret_sha256 ?? DUMMY_SHA256);
      if (!row || !matches || row.revoked_at !== null) {
        throw unauthenticated('the agent credential is unknown, revoked or wrong');
      }
      return { kind: 'agent', agentId: agent.agentId };
    }
    if (
      isEnrollmentToken(bearer) &&
      this.enrollmentSha256 !== undefined &&
      secretMatches(bearer, this.enrollmentSha256)
    ) {
      return { kind: 'enrollment' };
    }
    throw unauthenticated('the token is not valid');
  }

  async createToken(request: CreateTokenRequest): Promise<{ token: ApiToken; secret: string }> {
    const name = request.name.trim();
    if (!TOKEN_NAME.test(name)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        'a token needs a name of 1-100 characters from [A-Za-z0-9 _.@+-]',
      );
    }
    const scopes = [...new Set(request.scopes.map((s) => s.trim().toLowerCase()))];
    if (scopes.length === 0 || !scopes.every(isScope)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `scopes must be some of read, submit, admin (got '${request.scopes.join(',').slice(0, 80)}')`,
      );
    }
    const id = randomBytes(6).toString('hex');
    const secret = newSecret();
    const row: ApiTokenTable = {
      id,
      name,
      scopes: scopes.join(','),
      secret_sha256: sha256Hex(secret),
      created_at: Date.now(),
      revoked_at: null,
    };
    await this.credentials.insertToken(row);
    this.logger.log(`token ${id} '${name}' created (${row.scopes})`);
    return { token: toApiToken(row), secret: formatApiToken(id, secret) };
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.credentials.listTokens()).map(toApiToken);
  }

  async revokeToken(id: string): Promise<ApiToken> {
    const row = await this.credentials.revokeToken(id, Date.now());
    if (!row) {
      throw new DomainError(DomainErrorCode.NOT_FOUND, `token '${id.slice(0, 40)}' not found`);
    }
    this.logger.log(`token ${row.id} '${row.name}' revoked`);
    return toApiToken(row);
  }

  /** Called with the enrollment token: a fresh credential for an agent id not holding a valid one. */
  async enroll(request: EnrollRequest): Promise<EnrollResponse> {
    if (!AGENT_ID.test(request.agentId)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `Enroll: agent id '${request.agentId.slice(0, 80)}' must match ${AGENT_ID.source}`,
      );
    }
    const existing = await this.credentials.findAgentCredential(request.agentId);
    if (existing && existing.revoked_at === null) {
      // Otherwise whoever holds the enrollment token could take over an enrolled agent's identity.
      throw new DomainError(
        DomainErrorCode.PERMISSION_DENIED,
        `agent ${request.agentId} is already enrolled; revoke it first (mlfarm token revoke-agent)`,
      );
    }
    const secret = newSecret();
    await this.credentials.putAgentCredential({
      agent_id: request.agentId,
      secret_sha256: sha256Hex(secret),
      created_at: Date.now(),
      revoked_at: null,
    });
    this.logger.log(`agent ${request.agentId} '${request.name.slice(0, 80)}' enrolled`);
    return { agentId: request.agentId, credential: formatAgentCredential(request.agentId, secret) };
  }

  async revokeAgent(agentId: string): Promise<boolean> {
    const revoked = await this.credentials.revokeAgentCredential(agentId, Date.now());
    if (revoked) {
      this.logger.log(`agent ${agentId.slice(0, 100)} credential revoked`);
    }
    return revoked;
  }
}

function unauthenticated(message: string): DomainError {
  return new DomainError(DomainErrorCode.UNAUTHENTICATED, message);
}

function scopesOf(row: ApiTokenTable): Scope[] {
  return row.scopes.split(',').filter(isScope);
}

function toApiToken(row: ApiTokenTable): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scopes: scopesOf(row),
    createdAtMs: String(row.created_at),
    revoked: row.revoked_at !== null,
  };
}

/** Reads a secret file, or creates it (mode 0600, never overwriting) with a fresh value. */
function readOrCreateSecretFile(file: string, create: () => string): { value: string; created: boolean } {
  try {
    return { value: readFileSync(file, 'utf8').trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, created: true };
}
